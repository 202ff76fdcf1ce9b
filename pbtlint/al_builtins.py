"""AL's built-in methods: what is not user code, and what kind of operation a built-in call is.

Names are normalized (casefolded). The lists decide whether a call is a built-in operation or an
unresolved call (an opaque node), so they err on the side of listing more.
"""

from __future__ import annotations

from pbtlint import nodes as n


def _names(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in text.split())


# Methods callable without a receiver (System, Dialog, and the Session/Database/Text methods that
# may be called unqualified).
GLOBAL_FUNCTIONS = _names("""
    Abs ApplicationPath ArrayLen CalcDate CanLoadType CaptionClassTranslate Clear ClearAll
    ClearCollectedErrors ClearLastError ClosingDate CodeCoverageInclude CodeCoverageLoad CodeCoverageLog
    CodeCoverageRefresh CompressArray CopyArray CopyStream CreateDateTime CreateEncryptionKey CreateGuid
    CurrentDateTime Date2DMY Date2DWY DaTi2Variant Decrypt DeleteEncryptionKey DMY2Date DT2Date DT2Time
    DWY2Date Encrypt EncryptionEnabled EncryptionKeyExists Evaluate ExportEncryptionKey ExportObjects Format
    GetCollectedErrors GetDocumentUrl GetDotNetType GetLastErrorCallStack GetLastErrorCode GetLastErrorObject
    GetLastErrorText GetUrl GlobalLanguage GuiAllowed HasCollectedErrors Hyperlink ImportEncryptionKey
    ImportObjects ImportStreamWithUrlAccess IsCollectingErrors IsNull IsNullGuid IsServiceTier NormalDate
    Power Random Randomize Round RoundDateTime Sleep TemporaryPath Time Today Variant2Date Variant2Time
    WindowsLanguage WorkDate
    Message Error Confirm StrMenu
    ConvertStr CopyStr DelChr DelStr IncStr InsStr LowerCase MaxStrLen PadStr SelectStr StrCheckSum StrLen
    StrPos StrSubstNo UpperCase
    Commit CompanyName UserId SessionId SerialNumber TenantId ServiceInstanceId LockTimeout
    LockTimeoutDuration SelectLatestVersion LastUsedRowVersion MinimumActiveRowVersion CurrentTransactionType
    IsInWriteTransaction CopyCompany AlterKey CheckLicenseFile ChangeUserPassword DataFileInformation
    HasTableConnection RegisterTableConnection UnregisterTableConnection SetDefaultTableConnection
    GetDefaultTableConnection SID ExportData ImportData
    ApplicationIdentifier BindSubscription UnbindSubscription CurrentClientType DefaultClientType
    CurrentExecutionMode EnableVerboseTelemetry GetCurrentModuleExecutionContext GetExecutionContext
    GetModuleExecutionContext IsSessionActive LogMessage LogSecurityAudit SendTraceTag SetDocumentServiceToken
    StartSession StopSession GetLastErrorCallstack IsValueNull UserSecurityId ActiveSession
    Download DownloadFromStream Upload UploadIntoStream FileImportAsStream
    RunHyperlink ObjectId ApplicationArea SecretStrSubstNo Exists Erase SetUserPassword
""")

# Record methods (also what a page or table may call unqualified on its implicit Rec).
RECORD_METHODS = _names("""
    AddLink AddLoadFields AreFieldsLoaded Ascending CalcFields CalcSums ChangeCompany ClearMarks Consistent
    Copy CopyFilter CopyFilters CopyLinks Count CountApprox CurrentCompany CurrentKey Delete DeleteAll
    DeleteLink DeleteLinks FieldActive FieldCaption FieldError FieldName FieldNo FilterGroup Find FindFirst
    FindLast FindSet Get GetAscending GetBySystemId GetFilter GetFilters GetPosition GetRangeMax GetRangeMin
    GetView HasFilter HasLinks Init Insert IsEmpty IsTemporary LoadFields LockTable Mark MarkedOnly Modify
    ModifyAll Next ReadConsistency ReadPermission RecordId RecordLevelLocking Relation Rename Reset
    SecurityFiltering SetAscending SetAutoCalcFields SetBaseLoadFields SetCurrentKey SetFilter SetLoadFields
    SetPermissionFilter SetPosition SetRange SetRecFilter SetView TableCaption TableName TestField
    TransferFields Truncate Validate WritePermission ReadIsolation GetRecordId IsDirty FullyQualifiedName
    SetRangeByRef TestFieldsWithErrorInfo CopyFrom
""")

PAGE_METHODS = _names("""
    Activate CancelBackgroundTask Caption Close Editable EnqueueBackgroundTask GetBackgroundParameters
    GetRecord LookupMode ObjectId PromptMode Run RunModal SaveRecord SetBackgroundTaskResult SetRecord
    SetSelectionFilter SetTableView Update Visible SetRecordSelectionFilter GetSelectionFilter
""")

REPORT_METHODS = _names("""
    Break CreateTotals DefaultLayout ExcelLayout Execute FormatRegion IsReadOnly Language NewPage
    NewPagePerRecord ObjectId PageNo PaperSource Preview Print PrintOnlyIfDetail Quit Run RunModal
    RunRequestPage SaveAs SaveAsExcel SaveAsHtml SaveAsPdf SaveAsWord SaveAsXml SetTableView ShowOutput Skip
    TargetFormat TotalsCausedBy UseRequestPage ValidateAndPrepareLayout WordLayout WordXmlPart RdlcLayout
    GetSubstituteReportId FormatRegion UseSystemPrinter SetPrinter
""")

XMLPORT_METHODS = _names("""
    Break BreakUnbound CurrentPath Export FieldDelimiter FieldSeparator Filename Import ImportFile Quit Run
    RecordSeparator SetDestination SetSource SetTableView Skip TableSeparator TextEncoding
""")

QUERY_METHODS = _names("""
    Close ColumnCaption ColumnName ColumnNo GetFilter GetFilters Open Read SaveAsCsv SaveAsXml SetFilter
    SetRange TopNumberOfRows SaveAsJson SaveAsExcel SecurityFiltering
""")

# Receivers that are not variables but static namespaces of methods: AL's data types and the
# system namespaces (``Session.X``, ``XmlElement.Create``, ``Codeunit.Run``...).
STATIC_RECEIVERS = _names("""
    Action Any Automation BigInteger BigText Blob Boolean Byte Char ClientType Code Codeunit CompanyProperty
    Cookie DataClassification DataScope Database Date DateFormula DateTime Debugger Decimal DefaultLayout Dialog
    Dictionary DotNet Duration Enum ErrorBehavior ErrorInfo ErrorType ExecutionContext ExecutionMode FieldClass
    FieldRef FieldType File FileUpload FilterPageBuilder Guid HttpClient HttpContent HttpHeaders
    HttpRequestMessage HttpResponseMessage InStream Integer IsolatedStorage IsolationLevel JsonArray JsonObject
    JsonToken JsonValue KeyRef Label List Media MediaSet ModuleDependencyInfo ModuleInfo NavApp Notification
    NotificationScope NumberSequence ObjectType Option OutStream Page PageBackgroundTaskErrorLevel ProductName
    Query RecordId RecordRef Report ReportFormat ReportLayoutType RequestPage SecretText SecurityFilter Session
    SessionInformation SessionSettings System TableConnectionType TaskScheduler TestAction TestField TestFilter
    TestPage TestPart TestRequestPage Text TextBuilder TextConst TextEncoding Time TransactionModel
    TransactionType Variant Version WebServiceActionContext XmlAttribute XmlAttributeCollection XmlCData
    XmlComment XmlDeclaration XmlDocument XmlDocumentType XmlElement XmlNameTable XmlNamespaceManager XmlNode
    XmlNodeList XmlPort XmlProcessingInstruction XmlReadOptions XmlText XmlWriteOptions User CurrPage CurrReport
""")
ENUM_STATICS = _names("FromInteger Ordinals Names")

# Object-typed receivers whose members may be user procedures; everything else is built in.
OBJECT_TYPES = frozenset({"record", "codeunit", "page", "report", "xmlport", "query", "interface", "testpage"})

# What a static ``Report.X(Report::Id, ...)`` / report variable method runs (the report's triggers).
REPORT_RUNNERS = _names("Run RunModal Execute Print SaveAs SaveAsExcel SaveAsHtml SaveAsPdf SaveAsWord SaveAsXml "
                        "RunRequestPage")
XMLPORT_RUNNERS = _names("Run Import Export")

# Record operations with triggers: method -> (table trigger suffix, index of the RunTrigger argument
# or -1 when the trigger always runs).
TRIGGER_OPERATIONS: dict[str, tuple[str, int]] = {
    "insert": ("Insert", 0),
    "modify": ("Modify", 0),
    "delete": ("Delete", 0),
    "modifyall": ("Modify", 2),
    "deleteall": ("Delete", 0),
    "rename": ("Rename", -1),
}


def constant_bool_arg(args: tuple[n.Expr, ...], index: int) -> bool | None:
    """The constant boolean argument at ``index`` (False when absent, True for index -1, as for the
    RunTrigger of ``TRIGGER_OPERATIONS``), or None when it is not a constant."""
    if index < 0:
        return True
    if index >= len(args):
        return False
    a = args[index]
    if isinstance(a, n.LiteralValue) and a.kind == "boolean":
        return a.value.casefold() == "true"
    return None


WRITE_METHODS = frozenset({"insert", "modify", "modifyall", "delete", "deleteall", "rename", "truncate"})
UI_GLOBALS = frozenset({"message", "confirm", "strmenu", "hyperlink", "download", "downloadfromstream", "upload",
                        "uploadintostream", "runhyperlink"})


def is_ui(builtin: str, args: tuple[n.Expr, ...] = ()) -> bool:
    """A built-in that needs a user interface (``global.message``, ``page.run``, ``report.runmodal``...)."""
    recv, _, method = builtin.partition(".")
    if recv == "global":
        return method in UI_GLOBALS
    if recv in ("page", "static:page", "testpage"):
        return method in ("run", "runmodal")
    if recv in ("report", "static:report"):
        return method == "runmodal"
    if recv == "dialog":
        return method in ("open", "update")
    if recv == "static:file":
        return method in ("upload", "uploadintostream", "download", "downloadfromstream")
    if recv == "notification":
        return method == "send"
    return False


RECORDREF_OPENERS = ("open", "gettable")
"""The RecordRef methods that give it its table (``Open(Id, Temporary)``, ``GetTable(Rec)``)."""


def recordref_openings(name: str) -> tuple[str, ...]:
    """How code that opens the RecordRef variable ``name`` (case-folded) reads in case-folded text:
    ``ref.open``, ``"ref".gettable``..."""
    return tuple(f"{form}.{how}" for form in (name, f'"{name}"') for how in RECORDREF_OPENERS)


def classify(builtin: str | None, args: tuple[n.Expr, ...] = ()) -> str | None:
    """A coarse category of a built-in call: ``write``, ``commit``, ``lock``, ``ui``, or None.

    ``write`` does not look at temporariness; callers decide with the receiver's :class:`~pbtlint.model.Temp`.
    """
    if builtin is None:
        return None
    recv, _, method = builtin.partition(".")
    if recv in ("record", "recordref") and method in WRITE_METHODS:
        return "write"
    if recv == "static:isolatedstorage" and method in ("set", "setencrypted", "delete"):
        return "write"
    if method == "commit" and recv in ("global", "static:database"):
        return "commit"
    if recv in ("record", "recordref") and method == "locktable":
        return "lock"
    if recv == "record" and method == "findset" and args and _is_true(args[0]):
        return "lock"
    if is_ui(builtin, args):
        return "ui"
    return None


def _is_true(e: n.Expr) -> bool:
    return isinstance(e, n.LiteralValue) and e.kind == "boolean" and e.value.casefold() == "true"
