"""GraphQL's execution with a short path for plain attribute fields.

graphql-core executes every field alike: it builds an info object, reads the arguments, calls
the resolver through the middleware, tests the result for an awaitable twice and completes it
through the non-null, list, leaf, abstract and object cases in turn (~10 µs a field). Most
fields of a list's items are neither: a scalar or enum read off the object (`Grid.name`,
`GridPost.role`), which strawberry resolves with `getattr` and no info object at all
(`StrawberryField.is_basic_field`). `Execution` reads those fields and coerces their value
directly, in its `execute_fields` loop (no `Path`, no call per field); an attribute of an
object type (`GridPost.person`: 224 of them in 50 grids with their teams) is read likewise
and its sub-fields executed at once, with graphql-core's own error handling for the field
(a non-null child's error nulls the nearest nullable parent). Anything else, or anything
unusual (a null where the type forbids one, a value its type cannot serialise, an error),
goes the library's way, so answers and errors are the same.

As it starts, it tells the request's `Context` the field names its document has anywhere
(`Context.fields_named`): a record the read model holds with every property so named needs
no read (`api.graphql.dataloaders`).

The overrides are of `execute_fields` and `execute_field`, which graphql-core documents as
internal: the versions are pinned (requirements.lock), and tests/api/test_graphql_execution.py
compares the answers of both executions. A resolver that takes only its object and `info` is
called by graphql-core directly (`call_resolvers_directly`), not through strawberry's wrapper.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from api.graphql.context import Context


class _Plain(NamedTuple):
    """How to read a plain attribute field: the attribute, its leaf type, whether non-null."""

    attribute: str
    leaf: GraphQLLeafType
    non_null: bool


class _PlainObject(NamedTuple):
    """How to read a plain attribute field of an object type: the attribute, the object
    type, the field's type (non-null or not)."""

    attribute: str
    object_type: GraphQLObjectType
    return_type: GraphQLOutputType


def _plain(parent_type: GraphQLObjectType, name: str) -> _Plain | _PlainObject | None:
    """The plan of field `name` of `parent_type` when it is a plain attribute (a strawberry
    field without resolver, permission or extension) of a scalar or enum type, or of an
    object type with no `is_type_of` check; else None."""
    field_def = parent_type.fields.get(name)
    if field_def is None or not getattr(field_def.resolve, "_is_default", False):
        return None
    field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if field is None or field.default_resolver is not getattr:
        return None
    type_ = field_def.type
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if non_null else type_
    if isinstance(named, GraphQLObjectType) and named.is_type_of is None:
        return _PlainObject(field.python_name, named, type_)
    if not is_leaf_type(named):
        return None
    return _Plain(field.python_name, named, non_null)


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


def call_resolvers_directly(schema: Any) -> None:
    """Has graphql-core call each resolver that takes nothing but its object (and `info`)
    directly, with strawberry's `Info`, in place of strawberry's wrapper: its arguments'
    conversion, its extensions' chain and three calls more, for nothing such a resolver
    uses (`Grid.unit`, `Grid.team`, `Person.home`: 100 calls a request of the 50 grids or
    the 100 residents). A field with arguments, a field extension (a permission), another
    reserved parameter, or a schema with exception handlers keeps strawberry's."""
    converter = schema.schema_converter
    if converter._exception_handler_specs:
        return
    info_class = schema.config.info_class
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field_def in type_.fields.values():
            field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolver = getattr(field, "base_resolver", None)
            if (
                resolver is None
                or field.extensions
                or field.arguments
                or field_def.args
                or field.is_subscription
                or resolver.self_parameter is None
                or list(resolver.signature.parameters) not in (["self"], ["self", "info"])
            ):
                continue
            field_def.resolve = _direct(resolver.wrapped_func, field, info_class, resolver)


def _direct(function: Any, field: Any, info_class: Any, resolver: Any) -> Any:
    if resolver.info_parameter is None:
        return lambda source, info: function(source)
    return lambda source, info: function(source, info=info_class(_raw_info=info, _field=field))


class Execution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, reading plain attribute fields directly."""

    # Per schema, (type, field name) → its plan, or None when the field takes the library's
    # way; filled as fields are first met. Held by the schema, weakly: a schema dropped (the
    # tests build many) takes its plans and types with it.
    plans: ClassVar[weakref.WeakKeyDictionary[Any, dict[tuple[GraphQLObjectType, str], Any]]] = (
        weakref.WeakKeyDictionary()
    )
    # Per operation (parsed once per query text and kept: api.graphql.limits), the field
    # names of its document; dropped with it.
    named: ClassVar[weakref.WeakKeyDictionary[OperationDefinitionNode, frozenset[str]]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.context_value, Context):
            names = self.named.get(self.operation)
            if names is None:
                names = _field_names(self.operation, self.fragment_definitions.values())
                self.named[self.operation] = names
            self.context_value.fields_named = names
        # this schema's plans, looked up once: a weak dictionary's lookup per field costs
        # ~2 µs, a tenth of a plain field's execution
        self._plans = self.plans.setdefault(self.schema, {})
        middleware = self.middleware_manager
        self._direct = not (middleware and middleware.middlewares)
        # per grouped field set (by identity, kept alive with it): its fields' steps
        self._steps: dict[int, tuple[GroupedFieldSet, GraphQLObjectType, list[Any]]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with each plain leaf field read and coerced in
        place: no `Path` made, no call per field (a list's items share one grouped field
        set, so its steps are worked out once a request). A leaf that is null where its
        type forbids it, or that its type cannot serialise, goes the library's way."""
        at = id(grouped_field_set)
        kept = self._steps.get(at)
        if kept is None or kept[0] is not grouped_field_set or kept[1] is not parent_type:
            kept = (grouped_field_set, parent_type, self._steps_of(parent_type, grouped_field_set))
            self._steps[at] = kept
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        name = parent_type.name
        try:
            for response_name, field_details_list, leaf in kept[2]:
                if leaf is not None:
                    try:
                        value = getattr(source_value, leaf.attribute)
                        if value is None:
                            if not leaf.non_null:
                                results[response_name] = None
                                continue
                        else:
                            coerced = leaf.leaf.coerce_output_value(value)
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # the library's way reports it
                        pass
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
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

    def _steps_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[tuple[str, FieldDetailsList, _Plain | None]]:
        """Each field of the set: its response name, its details, and its plan when it is a
        plain leaf read in place (no arguments, no middleware)."""
        steps = []
        for response_name, field_details_list in grouped_field_set.items():
            plan = self._plan(parent_type, field_details_list[0].node)
            leaf = plan if isinstance(plan, _Plain) else None
            steps.append((response_name, field_details_list, leaf))
        return steps

    def _plan(
        self, parent_type: GraphQLObjectType, node: FieldNode
    ) -> _Plain | _PlainObject | None:
        """The plan of a field as selected here: None with arguments or a middleware."""
        if not self._direct or node.arguments:
            return None
        at = (parent_type, node.name.value)
        plans = self._plans
        return plans[at] if at in plans else plans.setdefault(at, _plain(*at))

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        plan = self._plan(parent_type, field_details_list[0].node)
        if isinstance(plan, _PlainObject):
            try:
                value = getattr(source, plan.attribute)
            except Exception:  # the library's way reports it
                value = None
            if value is not None and not isinstance(value, Exception):
                return self._object(
                    plan.object_type,
                    plan.return_type,
                    value,
                    field_details_list,
                    path,
                    position_context,
                )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        """An item of a list of objects (`Grid`, `GridPost`, `Person`: with no `is_type_of`)
        has its sub-fields executed at once, as `_object` does for a field; anything else,
        or a null or an error in place of the object, goes the library's way."""
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            item is None
            or isinstance(item, Exception)
            or not isinstance(object_type, GraphQLObjectType)
            or object_type.is_type_of is not None
        ):
            return super().complete_list_item_value(
                item,
                complete_results,
                item_type,
                field_details_list,
                info,
                item_path,
                position_context,
            )
        completed = self._object(
            object_type, item_type, item, field_details_list, item_path, position_context
        )
        complete_results.append(completed)
        return self.is_awaitable(completed)

    def _object(
        self,
        object_type: GraphQLObjectType,
        return_type: GraphQLOutputType,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """The sub-fields of `value`, an `object_type` in a field or list item of type
        `return_type`, as graphql-core's `execute_field` completes an object
        (`complete_object_value` with no `is_type_of`), with its handling of an error."""
        try:
            completed = self.collect_and_execute_subfields(
                object_type, field_details_list, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None

        return await_completed()
