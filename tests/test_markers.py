from pbtlint.markers import Expectation, read_expectations


def test_markers_apply_to_the_next_code_line() -> None:
    text = (
        "begin\n"
        "    // ruleid: PBT0001\n"
        "    Rec.Modify();\n"
        "    // ok: pbt0002, PBT0004\n"
        "\n"
        "    // ruleid: PBT0003\n"
        "    Rec.LockTable();\n"
        "    // a normal comment: PBT0001 is not a marker here\n"
        "    Rec.Insert();\n"
        "end;\n"
    )
    assert read_expectations(text) == [
        Expectation("PBT0001", 3, True, 2),
        Expectation("PBT0002", 7, False, 4),
        Expectation("PBT0004", 7, False, 4),
        Expectation("PBT0003", 7, True, 6),
    ]


def test_marker_at_end_of_file_expects_nothing() -> None:
    assert read_expectations("x;\n// ruleid: PBT0001\n") == []
