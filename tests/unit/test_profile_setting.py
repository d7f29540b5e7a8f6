"""A profile key's value tagged with its kind: read from a profile, written back, refused
when its shape is not its kind's."""

from __future__ import annotations

import pytest

from ortbench_tui.profile import (
    CpuList,
    DimTable,
    EpNames,
    Flag,
    Number,
    Profile,
    ScalarTable,
    Text,
    ThreadCount,
    WholeNumber,
    field_specs,
    profile_to_dict,
    read_setting,
    setting_value,
    write_setting,
)
from ortbench_tui.profile.schema import SECTIONS


def test_every_key_of_a_new_profile_reads_as_its_kind():
    shapes = {
        "int": WholeNumber,
        "float": Number,
        "bool": Flag,
        "str": Text,
        "enum": Text,
        "provider": Text,
        "threads": ThreadCount,
        "providers": EpNames,
        "cpus": CpuList,
        "dims": DimTable,
        "scalars": ScalarTable,
    }
    profile = Profile()
    seen = set()
    for section in SECTIONS:
        for key, meta, default in field_specs(section):
            value = read_setting(profile, section, key)
            assert type(value) is shapes[meta["kind"]], (section, key)
            assert value.value == default
            seen.add(meta["kind"])
    assert seen == set(shapes)
    assert read_setting(profile, "", "name") == Text("unnamed")


def test_written_values_land_in_the_profile():
    profile = Profile()
    write_setting(profile, "run", "pin_cpus", CpuList([0, 3]))
    write_setting(profile, "session", "intra_op_num_threads", ThreadCount("physical"))
    write_setting(profile, "session", "free_dimensions", DimTable({"batch": 2}))
    write_setting(profile, "", "description", Text("d"))
    document = profile_to_dict(profile)
    assert document["run"]["pin_cpus"] == [0, 3]
    assert document["session"]["intra_op_num_threads"] == "physical"
    assert document["session"]["free_dimensions"] == {"batch": 2}
    assert document["description"] == "d"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("int", True),
        ("int", 1.5),
        ("float", False),
        ("bool", 1),
        ("cpus", [0, True]),
        ("providers", ["cpu", 1]),
        ("dims", {"batch": "1"}),
        ("scalars", {"a": [1]}),
        ("nonsense", 1),
    ],
)
def test_a_value_of_another_shape_is_refused(kind, value):
    with pytest.raises(TypeError, match=kind):
        setting_value(kind, value)
