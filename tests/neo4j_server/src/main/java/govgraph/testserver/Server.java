package govgraph.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A Neo4j Community DBMS in this process for govgraph's tests: Bolt on 127.0.0.1 only, on the
 * port given (0: one the system picks), with authentication on.
 *
 * <pre>GOVGRAPH_NEO4J_TEST_PASSWORD=... java -cp ... govgraph.testserver.Server HOME [PORT]</pre>
 *
 * <p>HOME holds the data; a store already there (in HOME/data/databases/neo4j, e.g. one that
 * {@code neo4j-admin database import} wrote, or one of a server killed earlier) is served as
 * it is. The user {@code neo4j} gets the password in the environment, never on the command
 * line, where other users could read it, and gets it before the Bolt port opens. When the
 * server is ready it prints one line, {@code govgraph-neo4j ready bolt://127.0.0.1:PORT}.
 *
 * <p>It stops when its standard input closes (the test run that started it ended, however it
 * ended) or on SIGTERM / SIGINT, at once and without a checkpoint: the data is thrown away
 * with the test run, and a clean shutdown takes ten seconds, most of them the Bolt server's
 * threads winding down.
 */
public final class Server {
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Server HOME [PORT]");
            System.exit(2);
        }
        String password = System.getenv("GOVGRAPH_NEO4J_TEST_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("GOVGRAPH_NEO4J_TEST_PASSWORD must hold a password of 8 or more characters");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = args.length == 2 ? Integer.parseInt(args[1]) : 0;
        if (!Files.exists(home.resolve("data/databases/system"))) {
            setInitialPassword(home, password);
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(Map.of(
                        GraphDatabaseSettings.auth_enabled, true,
                        GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"),
                        BoltConnector.enabled, true,
                        BoltConnector.listen_address, new SocketAddress("127.0.0.1", port),
                        GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(256),
                        GraphDatabaseSettings.udc_enabled, false,
                        // a query of a test gone wrong ends; the tests' own limits are shorter
                        GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(5)))
                .build();
        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        var bolt = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        System.out.println("govgraph-neo4j ready bolt://127.0.0.1:" + bolt.getPort());
        System.out.flush();
        InputStream in = System.in;
        while (in.read() != -1) {
            // nothing is read from the input: its end is the signal to stop
        }
        Runtime.getRuntime().halt(0);
    }

    /** What `neo4j-admin dbms set-initial-password` does, with the password kept off argv. */
    private static void setInitialPassword(Path home, String password) {
        var quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        var context = new ExecutionContext(
                home, home.resolve("conf"), quiet, System.err, new DefaultFileSystemAbstraction());
        // "--": a password that begins with "-" is not an option
        int status = AdminTool.execute(context, "dbms", "set-initial-password", "--", password);
        if (status != 0) {
            System.err.println("could not set the initial password (status " + status + ")");
            System.exit(1);
        }
    }
}
