"""The declaration index (pbtlint.declindex): what demand-driven analysis knows of a file without parsing it."""

from __future__ import annotations

from pbtlint.declindex import index_text

SOURCE = """
codeunit 50100 "Telemetry Hooks"
{
    [EventSubscriber(ObjectType::Table, Database::"Column Layout Name", 'OnAfterInsertEvent', '', false, false)]
    local procedure Quoted(var Rec: Record "Column Layout Name")
    begin
    end;

    [EventSubscriber(ObjectType::Table, Database::"Column Layout Name", OnAfterModifyEvent, '', true, true)]
    local procedure Unquoted(var Rec: Record "Column Layout Name")
    begin
    end;

    [EventSubscriber(ObjectType::Table, Database::Customer, "OnAfterValidateEvent", 'Name', false, false)]
    local procedure QuotedName(var Rec: Record Customer)
    begin
    end;

    [EventSubscriber(ObjectType::Codeunit, 80, 'OnBeforePostSalesDoc', '', false, false)]
    local procedure ById()
    begin
    end;
}
"""


def test_event_names_quoted_unquoted_or_as_quoted_names() -> None:
    subs = index_text(SOURCE).subscribers
    got = [(s.object_type.lower(), (s.object_name or "").lower(), s.object_id, s.event.lower(), s.element.lower(),
            s.procedure.lower()) for s in subs]
    assert got == [
        ("table", "column layout name", None, "onafterinsertevent", "", "quoted"),
        ("table", "column layout name", None, "onaftermodifyevent", "", "unquoted"),
        ("table", "customer", None, "onaftervalidateevent", "name", "quotedname"),
        ("codeunit", "", 80, "onbeforepostsalesdoc", "", "byid"),
    ]


def test_objects_and_procedures() -> None:
    ix = index_text(SOURCE)
    assert [(o.kind, o.id, o.name) for o in ix.objects] == [("codeunit", 50100, "Telemetry Hooks")]
    assert [p.name.lower() for p in ix.procedures] == ["quoted", "unquoted", "quotedname", "byid"]
    assert not ix.has_markers
