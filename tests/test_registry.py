import pytest

from ganlab import GanlabError, Registry


def test_register_get_names_and_did_you_mean():
    reg = Registry("widget")

    @reg.register("alpha")
    class Alpha:
        pass

    @reg.register("beta")
    def beta():
        return 1

    assert reg.get("alpha") is Alpha and Alpha.name == "alpha"
    assert reg.names() == ["alpha", "beta"]
    with pytest.raises(GanlabError) as err:
        reg.get("alpah")
    msg = str(err.value)
    assert 'unknown widget "alpah"' in msg and 'did you mean "alpha"' in msg and "\n" not in msg


def test_double_registration_is_a_bug():
    reg = Registry("widget")
    reg.register("a")(lambda: 0)
    with pytest.raises(ValueError):
        reg.register("a")(lambda: 1)
