"""The name offered when a best profile is saved from a job."""


def test_default_names_are_short_and_never_start_with_a_dash():
    from ortbench_tui.tui.screens.profile_files import default_profile_name

    long = "/tmp/newcomer/models/ch_PP-OCRv4_det_infer.onnx"
    assert default_profile_name(long) == "ch_PP-OCRv4_det_infer-best"
    assert default_profile_name("sample:resnet50-light") == "resnet50-light-best"
    assert default_profile_name("/x/--odd name.onnx") == "odd-name-best"
    assert default_profile_name("/x/-.onnx") == "best"
