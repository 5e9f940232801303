"""Reading the plugin's OpenAPI spec in tests."""


def strict(schema, components):
    """`schema` with its references resolved and every object closed: a field the spec does not name fails."""
    if isinstance(schema, list):
        return [strict(item, components) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return strict(components[schema["$ref"].rsplit("/", 1)[1]], components)
    closed = {key: strict(value, components) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        closed["additionalProperties"] = False
    return closed
