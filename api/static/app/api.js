// The page's one way to the server: GraphQL over fetch, signed in by the session cookie.
//
// The cookie (HttpOnly, set by POST /session) is sent by the browser; the server accepts it
// only with the header below, which no page of another origin can set (api/session.py).
// Nothing the API returns is kept beyond the page's memory: no localStorage, no cache.

const FROM_THE_PAGE = { 'X-Requested-With': 'govgraph' };

// The token was refused (revoked, or never valid), or the server needs one: sign in again.
export class SignedOut extends Error {}

// Anything else that went wrong, in words for the person at the screen.
export class ApiError extends Error {
  constructor(message, errors = []) {
    super(message);
    this.errors = errors;
  }
}

async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', ...FROM_THE_PAGE },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`无法连接服务器（${error.message}），请检查网络后重试`);
  }
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    answer = null;
  }
  if (response.status === 401) throw new SignedOut(answer?.error?.message || '');
  if (!response.ok && !(answer && answer.data !== undefined)) {
    throw new ApiError(`服务器返回 ${response.status}：${answer?.error?.message || text}`);
  }
  return answer;
}

// The errors GraphQL returns, as one sentence: the API says what to change, in English.
function explain(errors) {
  const timedOut = errors.some((e) => e.extensions?.code === 'QUERY_TIMEOUT');
  if (timedOut) return '查询超过了服务器的时限，请缩小地区或筛选范围后重试';
  return errors.map((e) => e.message).join('；');
}

let whenRefused = null;

// `callback` runs once, the first time a query is refused with 401 (the token revoked while
// the page is open); null stops watching.
export function watchSession(callback) {
  whenRefused = callback;
}

// Run a query; its data, or ApiError carrying the errors (any error fails the whole call:
// each section of a page asks its own query, so one failing leaves the others standing).
export async function gql(query, variables = {}) {
  let answer;
  try {
    answer = await send('POST', '/graphql', { query, variables });
  } catch (error) {
    if (error instanceof SignedOut && whenRefused) {
      const callback = whenRefused;
      whenRefused = null;
      callback();
    }
    throw error;
  }
  if (answer?.errors?.length) throw new ApiError(explain(answer.errors), answer.errors);
  if (!answer || answer.data === undefined) throw new ApiError('服务器的回答不是 GraphQL');
  return answer.data;
}

export async function signIn(token) {
  try {
    return await send('POST', '/session', { token });
  } catch (error) {
    if (error instanceof SignedOut) throw new ApiError('令牌无效：它不是本服务器签发的，或已被撤销');
    throw error;
  }
}

export async function signOut() {
  await send('DELETE', '/session');
}

// Who the server takes the caller to be, and the name of a mediator's jurisdiction.
export async function whoAmI() {
  const { me } = await gql(
    '{ me { role scope workflowRole person { label key name } actsFor { label key name } } }',
  );
  let place = null;
  if (me.scope) {
    const code = me.scope.padEnd(12, '0');
    try {
      const data = await gql('query ($code: String!) { unit(code: $code) { code name level } }', {
        code,
      });
      place = data.unit;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error; // a scope the graph has no unit for
    }
  }
  return { ...me, place };
}

// A fresh idempotency key for one action: a retry of the same click sends the same key, a new
// click a new one. crypto.getRandomValues works on plain http too (randomUUID needs https).
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'page-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
