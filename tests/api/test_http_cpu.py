"""The GraphQL response's encoding (api/app.py, `_GraphQL.encode_json`): the bytes strawberry's
own encoding gives, without its check for circular references."""

from __future__ import annotations

import json

from api.app import _GraphQL


def test_the_response_is_encoded_as_strawberry_encodes_it():
    data = {
        "data": {
            "grids": {
                "totalCount": 2,
                "items": [
                    {"id": "330421-G0096", "name": "姚庄镇第一网格", "team": [], "area": 1.5},
                    {"id": "330421-G0097", "name": 'a "quoted" name\n', "team": None},
                ],
            }
        },
        "errors": [{"message": "不对", "path": ["grids", 1]}],
    }
    encoded = _GraphQL.encode_json(None, data)  # type: ignore[arg-type]
    assert encoded == json.dumps(data, separators=(",", ":"))
    assert json.loads(encoded) == data
