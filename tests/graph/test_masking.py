import pytest

from graph.masking import WITHHELD, mask
from graph.schema import Mask


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        (Mask.NAME, "张三", "张某"),
        (Mask.NAME, "王小明", "王某"),
        (Mask.NAME, "欧阳修", "欧阳某"),
        (Mask.NAME, "诸葛亮", "诸葛某"),
        (Mask.MOBILE, "13812341234", "138****1234"),
        (Mask.ID_NUMBER, "33042119800101123X", "330421********123X"),
        (Mask.TEXT, "张三与李四宅基地纠纷", WITHHELD),
        (Mask.NAME, None, None),
        (Mask.NAME, "", ""),
    ],
)
def test_mask(kind, value, shown):
    assert mask(kind, value) == shown


def test_a_masked_id_number_never_shows_the_birth_date():
    assert "19800101" not in mask(Mask.ID_NUMBER, "33042119800101123X")
