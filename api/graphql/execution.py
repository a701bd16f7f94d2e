"""GraphQL's execution with plain fields read in place and objects completed at once.

graphql-core executes every field alike: it builds an info object, reads the arguments, calls
the resolver through the middleware, tests the result for an awaitable twice and completes it
through the non-null, list, leaf, abstract and object cases in turn (~10 µs a field); every
object, a list's item or a field's value, goes through `complete_list_item_value`,
`complete_value`, `complete_object_value`, `collect_and_execute_subfields` and
`execute_fields` (~50 objects and ~500 sub-objects a request of the 50 grids). `Execution`
works out each selection's steps once (`_Steps`: one per grouped field set; kept for the next
request of the same query and variables, `_Plan`), and runs them in one loop (`_fields`): a
scalar or enum read off the object (`Grid.name`,
`GridPost.role`: a plain attribute, which strawberry resolves with `getattr` and no info
object at all) is read and coerced in place, with no `Path` and no call; a plain attribute of
an object type (`GridPost.person`), or of a union of such types (`DisputeParty.party`), is
read and its type's steps run at once; any other field
goes through graphql-core's `execute_field`, whose `complete_value` completes an object
(`Grid.unit`) by its steps and a Python list of objects (`Grid.team`, a page's `items`) in
one loop (`_items`). Errors are handled where and as the library handles them (a non-null
child's error nulls the nearest nullable parent); anything unusual (a null where the type
forbids one, a value its type cannot serialise, an error or an awaitable in place of an item,
an abstract type, an `is_type_of`, `@defer`, `@stream`, a middleware) goes the library's way,
so answers and errors are the same.

As it starts, it tells the request's `Context` the field names its document has anywhere
(`Context.fields_named`): a record the read model holds with every property so named needs
no read (`api.graphql.dataloaders`).

The overrides are of `execute_fields` and `complete_value`, which graphql-core documents as
internal: the versions are pinned (requirements.lock), and tests/api/test_graphql_execution.py
and test_graphql_plan.py compare the answers and errors of both executions. A resolver that
takes only its object and `info` is called by graphql-core directly
(`call_resolvers_directly`), not through strawberry's wrapper.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from datetime import date
from enum import Enum
from types import GeneratorType
from typing import Any, ClassVar, NamedTuple, TypeGuard

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLArgument,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    GraphQLUnionType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import collect_iterator_awaitables, to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel
from strawberry.relay.types import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from api.graphql.context import Context


class _Step:
    """One field of a grouped field set and how `Execution._fields` completes it: `LEAF`, a
    plain attribute of a scalar or enum type (`type`), read and coerced in place; `OBJECT`,
    a plain attribute of an object type whose selection (`sub`) is run at once; `UNION`, a
    plain attribute of a union of such types, the selection on its value's type (`subs`, by
    the value's class) run at once; `RESOLVER`,
    a resolver called directly (`call`, with its arguments taken once a request); `FIELD`,
    anything else: graphql-core's `execute_field`. `type`, but for a leaf: the field's type,
    non-null or not."""

    LEAF, OBJECT, UNION, RESOLVER, FIELD = range(5)
    __slots__ = (
        "attribute",
        "call",
        "details",
        "field_def",
        "item_type",
        "kind",
        "name",
        "nodes",
        "non_null",
        "sub",
        "subs",
        "text",
        "type",
    )

    def __init__(self, name: str, details: FieldDetailsList) -> None:
        self.name = name  # the response name
        self.details = details
        self.kind = _Step.FIELD
        self.attribute = ""
        self.type: Any = None
        self.non_null = False
        self.sub: _Steps | None = None
        self.subs: dict[type, _Steps] = {}
        self.text = False  # a leaf of String or ID, whose coercion of a str is the str
        self.call: Callable[[Any, Any], Any] | None = None
        self.field_def: GraphQLField | None = None
        self.nodes: list[FieldNode] = []
        self.item_type: GraphQLOutputType | None = None  # a RESOLVER's list's, with `sub`


class _Steps(NamedTuple):
    """An object type's selection (one grouped field set) as steps, made once a plan."""

    object_type: GraphQLObjectType
    steps: list[_Step]


def _plain(parent_type: GraphQLObjectType, name: str) -> tuple[str, GraphQLOutputType] | None:
    """(attribute, type) of field `name` of `parent_type` when it is a plain attribute (a
    strawberry field without resolver, permission or extension) of a scalar or enum type, of
    an object type with no `is_type_of` check, or of a union of such types; else None."""
    field_def = parent_type.fields.get(name)
    if field_def is None or not getattr(field_def.resolve, "_is_default", False):
        return None
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if field is None or field.default_resolver is not getattr:
        return None
    type_ = field_def.type
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not is_leaf_type(named) and not _completes_at_once(named) and not _classes(named):
        return None
    return field.python_name, type_


def _completes_at_once(type_: Any) -> TypeGuard[GraphQLObjectType]:
    """Whether a value of `type_` (no longer non-null) is completed by running its steps:
    an object type with no `is_type_of` check (strawberry sets none for ours)."""
    return isinstance(type_, GraphQLObjectType) and type_.is_type_of is None


def _classes(type_: Any) -> dict[type, GraphQLObjectType]:
    """For a union (no longer non-null) of object types with no `is_type_of` check, each
    type's class (a strawberry type, not generic): strawberry's union resolves a value of
    that class to that type (`StrawberryUnion.get_type_resolver`: the type whose definition
    is the value's class's, unless the value is `strawberry.cast`); else nothing."""
    if not isinstance(type_, GraphQLUnionType):
        return {}
    classes: dict[type, GraphQLObjectType] = {}
    for member in type_.types:
        definition = member.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if (
            not _completes_at_once(member)
            or not isinstance(definition, StrawberryObjectDefinition)
            or definition.is_graphql_generic
            or definition.concrete_of is not None
        ):
            return {}
        classes[definition.origin] = member
    return classes


def _field_names(
    operation: OperationDefinitionNode, fragments: Iterable[FragmentDefinitionNode]
) -> frozenset[str]:
    """The name of every field selected anywhere in the operation and the fragments."""
    names: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    pending += [f.selection_set for f in fragments]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            found = getattr(selection, "selection_set", None)
            if found is not None:
                pending.append(found)
    return frozenset(names)


# The values of a list field completed by `_items`: a list, or a tuple (a headline answer's
# steps, contacts and paths), which graphql-core iterates alike; any other iterable goes its way
_SEQUENCES = (list, tuple)

# Argument values no resolver can change, which a request's calls may share (bool is an
# int, a datetime a date); and null.
_UNCHANGING = (str, int, float, date, Enum)


class _Direct(NamedTuple):
    """A resolver that strawberry would hand its arguments unchanged, and how to call it."""

    function: Callable[..., Any]
    field: Any  # its StrawberryField
    info_class: Any  # strawberry's `Info` when the resolver takes `info`, else None
    names: dict[str, str]  # each argument's GraphQL name → its Python name

    def call(self, arguments: dict[str, Any]) -> Callable[[Any, Any], Any]:
        """The resolver called with `arguments` (by GraphQL name), as strawberry calls it."""
        function, field, info_class = self.function, self.field, self.info_class
        kwargs = {self.names[name]: value for name, value in arguments.items()}
        if info_class is None:
            return lambda source, info: function(source, **kwargs)
        return lambda source, info: function(
            source, info=info_class(_raw_info=info, _field=field), **kwargs
        )


# Per schema (weakly), (type name, field name) → its resolver when called directly.
_DIRECT: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], _Direct]] = (
    weakref.WeakKeyDictionary()
)


def call_resolvers_directly(schema: Any) -> None:
    """Has each resolver that takes nothing but its object, perhaps `info`, and arguments
    strawberry hands over unchanged (a scalar other than relay's `GlobalID`, or an enum)
    called directly, with strawberry's `Info`, in place of strawberry's wrapper: its
    arguments' conversion, its extensions' chain and three calls more, for nothing such a
    resolver uses (`Grid.unit`, `Grid.team(asOf:)`, `Person.home`: 100 calls a request of
    the 50 grids or the 100 residents). Those without arguments are called so by
    graphql-core (their `resolve` replaced); any of them by the execution's steps
    (`Execution._resolver`, which takes their arguments once a request). A field extension
    (a permission), another reserved parameter, an argument strawberry converts (an input
    type, a list, a `GlobalID`, a `Maybe`), or a schema with exception handlers keeps
    strawberry's."""
    converter = schema.schema_converter
    if converter._exception_handler_specs:
        return
    from_argument = schema.config.name_converter.from_argument
    direct = _DIRECT.setdefault(schema._schema, {})
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field_def in type_.fields.items():
            field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolver = getattr(field, "base_resolver", None)
            if (
                resolver is None
                or field.extensions
                or field.is_subscription
                or resolver.self_parameter is None
            ):
                continue
            names = {from_argument(a): a.python_name for a in field.arguments}
            takes = ["self", *(["info"] if resolver.info_parameter else []), *names.values()]
            if (
                sorted(resolver.signature.parameters) != sorted(takes)
                or names.keys() != field_def.args.keys()
                or not all(_unchanged(a, field_def.args[from_argument(a)]) for a in field.arguments)
            ):
                continue
            info_class = schema.config.info_class if resolver.info_parameter else None
            found = direct[type_.name, name] = _Direct(
                resolver.wrapped_func, field, info_class, names
            )
            if not names:
                field_def.resolve = found.call({})


def _unchanged(argument: Any, graphql_argument: GraphQLArgument) -> bool:
    """Whether strawberry hands the argument's value over as graphql-core gives it (its
    `convert_argument` of a scalar or an enum, not a relay `GlobalID`, nor a `Maybe`)."""
    type_ = argument.type
    if isinstance(type_, StrawberryMaybe):
        return False
    while isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    named = graphql_argument.type
    named = named.of_type if isinstance(named, GraphQLNonNull) else named
    return is_leaf_type(named) and type_ is not GlobalID


class _Plan:
    """What the execution of a query works out from its operation and variables alone, kept
    for the next request of both while its operation lives (the parser's cache keeps it:
    api.graphql.limits): the root's steps, each selection's steps (`_steps`, `_subs`) and
    graphql-core's collected subfields, keyed by the identity of the field details and field
    sets these hold alive, so the same ones are found again. The arguments taken once a
    request (`Execution._resolver`) come from the variables, which are part of its key."""

    __slots__ = ("operation", "root", "steps", "subfields", "subs")

    def __init__(self, operation: weakref.ref[OperationDefinitionNode] | None = None) -> None:
        self.operation = operation
        self.root: _Steps | None = None
        self.steps: dict[int, tuple[GroupedFieldSet, _Steps]] = {}
        self.subs: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Any]] = {}
        self.subfields: dict[Any, Any] = {}


KEPT_PLANS = 256  # per schema, the (operation, variables) whose plans are kept: the oldest go


def _forget_plan(plans: dict[Any, _Plan], key: Any, gone: weakref.ref[Any]) -> None:
    """A plan dropped with its operation (`Execution._kept_plan`)."""
    plan = plans.get(key)
    if plan is not None and plan.operation is gone:
        del plans[key]


def _forget_named(at: int, gone: weakref.ref[OperationDefinitionNode]) -> None:
    """An operation's names dropped with it (`Execution.named`)."""
    if Execution.named.get(at, (None,))[0] is gone:
        del Execution.named[at]


class Execution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain objects and lists of them at once."""

    # Per schema, (type, field name) → (attribute, type) of a plain attribute field, or None
    # when the field takes the library's way; filled as fields are first met. Held by the
    # schema, weakly: a schema dropped (the tests build many) takes its plans and types with it.
    plans: ClassVar[weakref.WeakKeyDictionary[Any, dict[tuple[GraphQLObjectType, str], Any]]] = (
        weakref.WeakKeyDictionary()
    )
    # Per operation (parsed once per query text and kept: api.graphql.limits), by its
    # identity, the field names of its document; dropped with it. Not a WeakKeyDictionary:
    # graphql-core's nodes hash their whole tree, each time (10-30 µs an operation).
    named: ClassVar[dict[int, tuple[weakref.ref[OperationDefinitionNode], frozenset[str]]]] = {}
    # Per schema, (operation's id, variables) → its query's plan (`_Plan`), at most KEPT_PLANS,
    # each dropped with its operation
    kept: ClassVar[weakref.WeakKeyDictionary[Any, dict[tuple[int, tuple[Any, ...]], _Plan]]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.context_value, Context):
            operation = self.operation
            kept = self.named.get(id(operation))
            if kept is None or kept[0]() is not operation:
                names = _field_names(operation, self.fragment_definitions.values())
                forget = functools.partial(_forget_named, id(operation))
                kept = (weakref.ref(operation, forget), names)
                self.named[id(operation)] = kept
            self.context_value.fields_named = kept[1]
        # this schema's plans, looked up once: a weak dictionary's lookup per field costs
        # ~2 µs, a tenth of a plain field's execution
        self._plans = self.plans.setdefault(self.schema, {})
        self._resolvers = _DIRECT.get(self.schema, {})
        middleware = self.middleware_manager
        self._direct = not (middleware and middleware.middlewares)
        # per grouped field set (by identity, kept alive with it): its steps; per (object
        # type, field details list by identity, kept alive with it): the steps of the
        # field's selection on that type, or None when graphql-core completes it. A query's
        # are kept across requests with graphql-core's subfields (`_Plan`).
        plan = self._plan = self._kept_plan()
        self._steps = plan.steps
        self._subs = plan.subs
        self._relevant_sub_fields = plan.subfields
        # classes of objects found neither null, an error nor awaitable (`_plain`)
        self._plain_classes: set[type] = set()

    def _kept_plan(self) -> _Plan:
        """The plan kept for this query's operation and variables, or a new one: kept unless
        a mutation's (each runs once), or of variables that cannot be a key (a list, an
        input object)."""
        operation = self.operation
        if operation.operation is not OperationType.QUERY:
            return _Plan()
        variables = self.variable_values  # graphql-core's: coerced, and where each came from
        try:
            key = (id(operation), tuple(variables.coerced.items()) if variables else ())
            hash(key)
        except TypeError:
            return _Plan()
        plans = self.kept.setdefault(self.schema, {})
        plan = plans.get(key)
        if plan is None or plan.operation is None or plan.operation() is not operation:
            if len(plans) >= KEPT_PLANS:
                del plans[next(iter(plans))]
            forget = functools.partial(_forget_plan, plans, key)
            plan = plans[key] = _Plan(weakref.ref(operation, forget))
        return plan

    def build_response(self, data: dict[str, Any] | None) -> Any:
        """graphql-core's response, the data complete; then its helpers for resolvers
        (`info.async_helpers`, holding two of this context's bound methods: a cycle, which
        only the cyclic collector would free, with the whole execution) let go of."""
        response = super().build_response(data)
        del self.async_helpers
        return response

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, through the set's steps (`_fields`); with a
        deferred fragment (`@defer`), the library's own."""
        if position_context is not None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        if path is None:  # the root's: its field set is collected afresh for each request
            root = self._plan.root
            if root is None or root.object_type is not parent_type:
                root = self._plan.root = self._steps_of(parent_type, grouped_field_set)
                del self._steps[id(grouped_field_set)]  # the plan holds it as its root
            return self._fields(root, source_value, path)
        return self._fields(self._steps_of(parent_type, grouped_field_set), source_value, path)

    def _fields(self, plan: _Steps, source_value: Any, path: Path | None) -> Any:
        """The fields of `source_value` as `execute_fields` completes them, step by step: a
        plain leaf read and coerced in place (no `Path`, no call); a plain object read and
        its own steps run at once, with graphql-core's handling of an error below it (a
        non-null child's error nulls the nearest nullable parent); anything else, or anything
        unusual (a null where the type forbids one, a value its type cannot serialise, an
        error), graphql-core's `execute_field`, so answers and errors are the library's."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        plain = self._plain_classes
        awaitable_fields: list[str] = []
        parent_type = plan.object_type
        name = parent_type.name
        try:
            for step in plan.steps:
                kind = step.kind
                if kind == _Step.LEAF:
                    try:
                        value = getattr(source_value, step.attribute)
                        if step.text and type(value) is str:  # coerced, it is itself
                            results[step.name] = value
                            continue
                        if value is None:
                            if not step.non_null:
                                results[step.name] = None
                                continue
                        else:
                            coerced = step.type.coerce_output_value(value)
                            if coerced is not None and coerced is not Undefined:
                                results[step.name] = coerced
                                continue
                    except Exception:  # the library's way reports it
                        pass
                elif kind == _Step.OBJECT or kind == _Step.UNION:
                    try:
                        value = getattr(source_value, step.attribute)
                    except Exception:  # the library's way reports it
                        value = None
                    if kind == _Step.OBJECT:
                        sub = step.sub if type(value) in plain or self._plain(value) else None
                    elif getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                        sub = step.subs.get(type(value))
                    else:  # strawberry.cast: the library resolves its type
                        sub = None
                    if sub is not None:
                        result = self._object(step, sub, value, Path(path, step.name, name))
                        results[step.name] = result
                        if is_awaitable(result):
                            awaitable_fields.append(step.name)
                        continue
                elif kind == _Step.RESOLVER:
                    result = self._resolved(
                        step, parent_type, source_value, Path(path, step.name, name)
                    )
                    results[step.name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(step.name)
                    continue
                result = self.execute_field(
                    parent_type, source_value, step.details, Path(path, step.name, name), None
                )
                if result is not Undefined:
                    results[step.name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(step.name)
        except Exception:
            if awaitable_fields:  # settled, as they may fail too (as the library does)
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _object(self, step: _Step, sub: Any, value: Any, path: Path) -> Any:
        """An `OBJECT` or `UNION` step's value completed by its type's steps `sub`, as
        graphql-core's `execute_field` completes an object field (`complete_object_value`
        with no `is_type_of`), with its handling of an error."""
        try:
            completed = self._fields(sub, value, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, step.type, step.details, path)
            return None
        if self.is_awaitable(completed):
            return self._guarded(completed, step.type, step.details, path)
        return completed

    def _plain(self, value: Any) -> bool:
        """Whether `value` is neither null, an error nor awaitable: an object to complete at
        once. Its class is kept for the request when it is none of those, and its other
        values are not looked at again (being awaitable is a matter of the class,
        `__await__`; a generator, whose code tells, is not kept)."""
        if value is None or isinstance(value, Exception) or self.is_awaitable(value):
            return False
        if not isinstance(value, GeneratorType):
            self._plain_classes.add(type(value))
        return True

    async def _guarded(
        self, completed: Any, return_type: GraphQLOutputType, details: FieldDetailsList, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's `complete_value`, with an object of a type with no `is_type_of`
        (`Grid.unit`) completed by its selection's steps at once, and a list of them
        (`Grid.team`) by `_items`; anything else, a null, an error, a list other than a
        Python list or tuple (an iterator, an async one), a field with a directive
        (`@stream`) or a selection with `@defer`, the library's way."""
        if position_context is None and result is not None and not isinstance(result, Exception):
            sub, item_type = self._completion(return_type, field_details_list)
            if sub is not None and item_type is None:
                return self._fields(sub, result, path)
            if sub is not None and type(result) in _SEQUENCES:
                return self._items(sub, item_type, field_details_list, info, path, result)  # type: ignore[arg-type]
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _completion(
        self, return_type: GraphQLOutputType, details: FieldDetailsList
    ) -> tuple[_Steps | None, GraphQLOutputType | None]:
        """The steps that complete a value of `return_type` at once, for `complete_value` and
        a resolver's plan (`_resolved`): an object's (of a type with no `is_type_of`), with no
        item type; a list of them's, with the item type; else none (the library's way, as for
        a field with a directive: `@stream`)."""
        named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if _completes_at_once(named):
            return self._sub(named, details), None
        if isinstance(named, GraphQLList) and not details[0].node.directives:
            item_type = named.of_type
            item = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
            if _completes_at_once(item):
                return self._sub(item, details), item_type
        return None, None

    def _items(
        self,
        sub: _Steps,
        item_type: GraphQLOutputType,
        details: FieldDetailsList,
        info: Any,
        path: Path,
        items: list[Any] | tuple[Any, ...],
    ) -> Any:
        """A list of objects completed as graphql-core's `complete_iterable_value` does,
        each item by its type's steps in this one loop (no `complete_list_item_value`,
        `complete_value` nor `collect_and_execute_subfields` per item). A null, an error or
        an awaitable in place of an item goes the library's way (`complete_list_item_value`,
        `complete_awaitable_list_item_value`)."""
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        plain = self._plain_classes
        iterator = iter(items)
        index = 0
        try:
            for item in iterator:
                item_path = Path(path, index, None)
                if type(item) not in plain and not self._plain(item):
                    if is_awaitable(item):
                        completed.append(
                            self.complete_awaitable_list_item_value(
                                item, item_type, details, info, item_path, None
                            )
                        )
                        awaitable_indices.append(index)
                    elif self.complete_list_item_value(
                        item, completed, item_type, details, info, item_path, None
                    ):
                        awaitable_indices.append(index)
                    index += 1
                    continue
                try:
                    value = self._fields(sub, item, item_path)
                    if is_awaitable(value):
                        value = self._guarded(value, item_type, details, item_path)
                        awaitable_indices.append(index)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    value = None
                completed.append(value)
                index += 1
        except Exception:  # settled, as they may fail too (as the library does)
            pending = [completed[i] for i in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed

        async def get_completed() -> list[Any]:
            if len(awaitable_indices) == 1:
                at = awaitable_indices[0]
                completed[at] = await completed[at]
            else:
                awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
                for at, value in zip(awaitable_indices, awaited, strict=True):
                    completed[at] = value
            return completed

        return get_completed()

    def _steps_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> _Steps:
        """The steps of a grouped field set, worked out once a plan (a list's items share
        one set)."""
        at = id(grouped_field_set)
        kept = self._steps.get(at)
        if kept is not None and kept[0] is grouped_field_set and kept[1].object_type is parent_type:
            return kept[1]
        steps = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            plain = self._plain_of(parent_type, node)
            step = _Step(response_name, details)
            if plain is not None:
                step.attribute, type_ = plain
                named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
                step.non_null = named is not type_
                if is_leaf_type(named):
                    step.kind, step.type = _Step.LEAF, named
                    step.text = named is GraphQLString or named is GraphQLID
                elif _completes_at_once(named):
                    step.sub = self._sub(named, details)
                    if step.sub is not None:
                        step.kind, step.type = _Step.OBJECT, type_
                else:  # a union (`_plain`)
                    subs = {c: self._sub(t, details) for c, t in _classes(named).items()}
                    if None not in subs.values():
                        step.kind, step.type = _Step.UNION, type_
                        step.subs = subs  # type: ignore[assignment]
            elif self._direct:
                self._resolver(step, parent_type, node)
            steps.append(step)
        plan = _Steps(parent_type, steps)
        self._steps[at] = (grouped_field_set, plan)
        return plan

    def _resolver(self, step: _Step, parent_type: GraphQLObjectType, node: FieldNode) -> None:
        """Makes `step` a `RESOLVER` when its field's resolver is called directly
        (`call_resolvers_directly`) and its arguments, taken now for the whole request (the
        document's and the variables' values do not change in it), are values no resolver
        can change (a string, a number, a day, an enum's member, null); they are not taken
        again per call, nor by strawberry, which would hand them over unchanged."""
        direct = self._resolvers.get((parent_type.name, node.name.value))
        if direct is None:
            return
        field_def = parent_type.fields[node.name.value]
        arguments: dict[str, Any] = {}
        if field_def.args or node.arguments:
            try:
                arguments = get_argument_values(
                    field_def,
                    node,
                    self.variable_values,
                    step.details[0].fragment_variable_values,
                    self.hide_suggestions,
                )
            except Exception:  # the library's way reports it, at each call
                return
            if not all(isinstance(v, _UNCHANGING) or v is None for v in arguments.values()):
                return
        step.kind, step.type = _Step.RESOLVER, field_def.type
        step.call = direct.call(arguments)
        step.field_def, step.nodes = field_def, to_nodes(step.details)
        # what `complete_value` would find for its value, found once a plan
        step.sub, step.item_type = self._completion(field_def.type, step.details)

    def _resolved(
        self, step: _Step, parent_type: GraphQLObjectType, source: Any, path: Path
    ) -> Any:
        """A `RESOLVER` step's field, as graphql-core's `execute_field` resolves and
        completes it, less the field's look-up and the arguments' coercion per call, and
        its value, an object or a list of objects, completed by the steps found for it
        once a plan (`complete_value`'s way without its tests per call)."""
        return_type = step.type
        info = self.build_resolve_info(step.field_def, step.nodes, parent_type, path)  # type: ignore[arg-type]
        try:
            result = step.call(source, info)  # type: ignore[misc]
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, step.details, info, path, result, None
                )
            sub = step.sub
            if sub is None or result is None or isinstance(result, Exception):
                completed = self.complete_value(return_type, step.details, info, path, result, None)
            elif step.item_type is None:  # an object: as `complete_value` completes it
                completed = self._fields(sub, result, path)
            elif type(result) in _SEQUENCES:
                completed = self._items(sub, step.item_type, step.details, info, path, result)
            else:
                completed = self.complete_value(return_type, step.details, info, path, result, None)
            if self.is_awaitable(completed):
                return self._guarded(completed, return_type, step.details, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, step.details, path)
            return None
        return completed

    def _sub(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> _Steps | None:
        """The steps of a field's selection on `object_type`, once a plan; None when it
        holds a deferred fragment (the library's way)."""
        at = (object_type, id(details))
        kept = self._subs.get(at)
        if kept is None or kept[0] is not details:
            collected = self.collect_subfields(object_type, details)
            sub = None
            if not collected.new_defer_usages:
                sub = self._steps_of(object_type, collected.grouped_field_set)
            kept = self._subs[at] = (details, sub)
        return kept[1]

    def _plain_of(
        self, parent_type: GraphQLObjectType, node: FieldNode
    ) -> tuple[str, GraphQLOutputType] | None:
        """`_plain` of a field as selected here: None with arguments or a middleware."""
        if not self._direct or node.arguments:
            return None
        at = (parent_type, node.name.value)
        plans = self._plans
        return plans[at] if at in plans else plans.setdefault(at, _plain(*at))
