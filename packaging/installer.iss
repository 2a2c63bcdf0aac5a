; Inno Setup 6 script (saved as UTF-8 with a byte-order mark, which is how ISCC knows it is UTF-8) of Reception Desk (信访接待一站式服务台): the installer of the PyInstaller one-folder build.
;
;   pyinstaller --noconfirm --clean build.spec                     -> dist\ReceptionDesk\
;   iscc /DAppVersion=0.1.0 /DFileVersion=0.1.0.0 packaging\installer.iss
;                                                                  -> dist\installer\ReceptionDesk-0.1.0-setup.exe
;
; The Windows workflow passes the version from reception/__init__.py (packaging/versioninfo.py --version), the
; same one the About dialog shows. What it does:
; - installs the program folder (per user by default, %LOCALAPPDATA%\Programs\ReceptionDesk; for all users when
;   run as administrator and chosen), with Start-menu shortcuts (the app, its demo, uninstall) and, if ticked, a
;   desktop shortcut;
; - an upgrade installs over the same folder (same AppId), after removing the old _internal\ runtime, so no file of
;   the previous version's Python or Qt is left behind;
; - NEVER touches the data directory (%LOCALAPPDATA%\ReceptionDesk: database, receipts, backups, logs, settings),
;   neither on upgrade nor on uninstall; it is not in the program folder, and a program folder chosen inside it is
;   refused. Removing a desk's data is a deliberate act, not an uninstall.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef FileVersion
  #define FileVersion "0.0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\ReceptionDesk"
#endif
#define AppTitle "信访接待一站式服务台"
#define AppExe "ReceptionDesk.exe"

[Setup]
; the AppId identifies the product for upgrades and the uninstaller: never change it
AppId={{6F1C3B5E-8D2A-4F7B-9C41-2E5A7D0B9F63}
AppName={#AppTitle}
AppVersion={#AppVersion}
AppVerName={#AppTitle} {#AppVersion}
AppPublisher=Reception Desk
AppCopyright=Proprietary
VersionInfoVersion={#FileVersion}
VersionInfoProductVersion={#FileVersion}
VersionInfoDescription={#AppTitle} 安装程序
DefaultDirName={autopf}\ReceptionDesk
DefaultGroupName={#AppTitle}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename=ReceptionDesk-{#AppVersion}-setup
SetupIconFile=..\resources\icons\app.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppTitle} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; a running desk app is closed (Restart Manager) before its files are replaced
CloseApplications=yes
RestartApplications=no

[Languages]
; Simplified Chinese when the translation is there (the workflow downloads Inno Setup's unofficial
; ChineseSimplified.isl beside this script); English otherwise
#if FileExists(AddBackslash(SourcePath) + "ChineseSimplified.isl")
Name: "chs"; MessagesFile: "ChineseSimplified.isl"
#elif FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
Name: "chs"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#else
Name: "en"; MessagesFile: "compiler:Default.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "创建桌面快捷方式 (desktop shortcut)"; GroupDescription: "快捷方式 (shortcuts):"

[InstallDelete]
; upgrade in place: the previous version's runtime goes first (the data directory is elsewhere and is never listed)
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppTitle}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "{#AppTitle} {#AppVersion}"
Name: "{group}\{#AppTitle}（演示数据）"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; WorkingDir: "{app}"; Comment: "使用演示数据练习，不影响正式数据"
Name: "{group}\卸载 {#AppTitle}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppTitle}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "启动 {#AppTitle}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; only what the program folder itself may hold besides the installed files (never the data directory)
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
function DataDir(): String;
begin
  Result := AddBackslash(ExpandConstant('{localappdata}')) + 'ReceptionDesk';
end;

function InsideDataDir(Dir: String): Boolean;
var
  D, P: String;
begin
  D := Lowercase(AddBackslash(DataDir()));
  P := Lowercase(AddBackslash(Dir));
  Result := Copy(P, 1, Length(D)) = D;
end;

function NextButtonClick(CurPageID: Integer): Boolean;
begin
  Result := True;
  if (CurPageID = wpSelectDir) and InsideDataDir(WizardDirValue()) then
  begin
    MsgBox('不能安装到数据目录 ' + DataDir() + ' 中，请选择其他文件夹。', mbError, MB_OK);
    Result := False;
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataDir()) and not UninstallSilent() then
    MsgBox('程序已卸载。本工位的数据（数据库、回执、备份、日志）仍保留在：' #13#10 + DataDir() + #13#10 +
           '重新安装后可继续使用；确需删除时请先备份，再手动删除该文件夹。', mbInformation, MB_OK);
end;
