Attribute VB_Name = "XlperfRibbon"
' xlperf ribbon callbacks (referenced from customUI14.xml as XlperfRibbon.<Name>).
' Every button runs one function of the Python module xlperf.excel through xlwings' RunPython
' (see CallPython: the persistent Python server first, a fresh Python process if it cannot start).
' This module must stay ASCII: user-facing Chinese text lives in the ribbon XML and in Python.
' Non-ASCII text that VBA itself shows (file dialog) is written as \uXXXX and decoded by Unescape.
Option Explicit

Public Sub OnValidate(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.validate_button()"
End Sub

Public Sub OnClearMarks(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.clear_marks_button()"
End Sub

Public Sub OnAutosum(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.autosum_button()"
End Sub

Public Sub OnInsertIndicators(control As IRibbonControl)
    ' The task type (Chinese) comes from the menu item's tag; no tag means "detect automatically".
    CallPython "import xlperf.excel as x; x.insert_indicators_button(" & PyStr(control.Tag) & ")"
End Sub

Public Sub OnConsolidate(control As IRibbonControl)
    Dim picked As Variant
    picked = Application.GetOpenFilename( _
        FileFilter:=Unescape("Excel \u5de5\u4f5c\u7c3f (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls," & _
                             "\u6240\u6709\u6587\u4ef6 (*.*),*.*"), _
        Title:=Unescape("\u9009\u62e9\u8981\u5408\u5e76\u7684\u90e8\u95e8\u8868\uff08\u53ef\u591a\u9009\uff09"), _
        MultiSelect:=True)
    If Not IsArray(picked) Then Exit Sub ' cancelled
    CallPython "import xlperf.excel as x; x.consolidate_button(" & PyList(picked) & ")"
End Sub

Public Sub OnNewForm(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.new_form_button()"
End Sub

Public Sub OnAbout(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.about_button()"
End Sub

Public Sub OnDoctor(control As IRibbonControl)
    CallPython "import xlperf.excel as x; x.doctor_button()"
End Sub

Private ServerFailed As Boolean

Private Sub CallPython(ByVal command As String)
    ' xlperf addin install enables xlwings' persistent Python server ("USE UDF SERVER"), so that a
    ' click does not start Python again. If that server cannot be started (COM server blocked, wrong
    ' interpreter), run the command in a fresh Python process, for this click and the rest of the session.
    If ServerFailed Then
        RunFresh command
        Exit Sub
    End If
    On Error GoTo NoServer
    RunPython command
    Exit Sub
NoServer:
    If LCase$(CStr(GetConfig("USE UDF SERVER", "False"))) <> "true" Then
        MsgBox "xlperf: " & Err.Description, vbCritical
        Exit Sub
    End If
    ServerFailed = True
    Resume Fresh
Fresh:
    On Error GoTo 0
    RunFresh command
End Sub

Private Sub RunFresh(ByVal command As String)
    ' What RunPython does without the server (Windows): one Python process for this command, with the
    ' same interpreter and PYTHONPATH arguments (see RunPython in the xlwings module).
    Dim interpreter As String, pypath As String
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python")
    pypath = GetConfig("ADD_WORKBOOK_TO_PYTHONPATH", "true") & ";" & ActiveWorkbook.FullName & ";" & _
        ThisWorkbook.FullName & ";" & GetConfig("ONEDRIVE_CONSUMER_WIN") & ";" & _
        GetConfig("ONEDRIVE_COMMERCIAL_WIN") & ";" & GetConfig("SHAREPOINT_WIN") & ";" & GetConfig("PYTHONPATH")
    ExecuteWindows False, command, interpreter, pypath
End Sub

Private Function PyStr(ByVal s As String) As String
    ' A Python string literal for s that is safe inside RunPython's command line: letters, digits,
    ' space and . _ - : / are kept, everything else (quotes, backslashes, %, &, ^, non-ASCII) is
    ' written as a \x, \u or \U escape, so the literal contains no quote and no shell metacharacter.
    Dim i As Long, c As Long, lo As Long, r As String
    r = "'"
    i = 1
    Do While i <= Len(s)
        c = AscW(Mid$(s, i, 1)) And &HFFFF&
        If (c >= 48 And c <= 57) Or c = 58 Or (c >= 65 And c <= 90) Or (c >= 97 And c <= 122) _
                Or c = 32 Or c = 45 Or c = 46 Or c = 47 Or c = 95 Then
            r = r & Chr$(c)
        ElseIf c < 256 Then
            r = r & "\x" & Right$("0" & Hex$(c), 2)
        ElseIf c >= &HD800& And c <= &HDBFF& And i < Len(s) Then
            lo = AscW(Mid$(s, i + 1, 1)) And &HFFFF&
            If lo >= &HDC00& And lo <= &HDFFF& Then
                r = r & "\U" & Right$("0000000" & Hex$(&H10000 + (c - &HD800&) * &H400& + (lo - &HDC00&)), 8)
                i = i + 1
            Else
                r = r & "\u" & Right$("000" & Hex$(c), 4)
            End If
        Else
            r = r & "\u" & Right$("000" & Hex$(c), 4)
        End If
        i = i + 1
    Loop
    PyStr = r & "'"
End Function

Private Function PyList(items As Variant) As String
    ' A Python list literal of strings from a VBA array (any bounds).
    Dim i As Long, r As String
    r = "["
    For i = LBound(items) To UBound(items)
        If i > LBound(items) Then r = r & ", "
        r = r & PyStr(CStr(items(i)))
    Next i
    PyList = r & "]"
End Function

Private Function Unescape(ByVal s As String) As String
    ' Decodes \uXXXX escapes (exactly four hex digits) into characters.
    Dim i As Long, r As String
    i = 1
    Do While i <= Len(s)
        If Mid$(s, i, 2) = "\u" And i + 5 <= Len(s) Then
            r = r & ChrW$(CLng("&H" & Mid$(s, i + 2, 4)))
            i = i + 6
        Else
            r = r & Mid$(s, i, 1)
            i = i + 1
        End If
    Loop
    Unescape = r
End Function
