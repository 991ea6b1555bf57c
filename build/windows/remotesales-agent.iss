; Inno Setup 6 script: the RemoteSales agent app's Windows installer (D2).
; WRITTEN, NOT BUILT OR RUN: nothing here can build or test Windows programs. See
; docs/builds.md, "Windows and macOS", for the steps and exactly what is untested.
;
; Input: the one-folder build of build/agent.spec made on Windows (`scripts/build agent` in Git
; Bash, or the PyInstaller command it prints), in dist\remotesales-agent\. On Windows pywebview
; uses the system's WebView2 (Windows 10/11 have it), so the folder carries no Qt.
;
;   iscc /DAppVersion=0.1.0 build\windows\remotesales-agent.iss
;     -> dist\remotesales-agent-setup-0.1.0.exe
;
; What it does:
; - installs per machine into Program Files (or per user, if the person chooses so: no admin);
; - a Start menu entry, and a desktop shortcut (a task, ticked by default, as the guide says);
; - provisioning: if remotesales-agent.json lies beside the setup .exe (an administrator's
;   preconfigured installer), it is copied beside the installed program, where the app reads
;   it; otherwise a wizard page asks for the relay address and the proxy (none / system /
;   manual / PAC) and writes the same file. The app's first run shows them prefilled and checks
;   the connection before the sign-in form;
; - uninstall removes the program folder and the shortcuts, and keeps each person's settings
;   (%APPDATA%\RemoteSales) and received files (Documents\RemoteSales).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "RemoteSales Agent"
#define AppExe "remotesales-agent.exe"
#define Provisioning "remotesales-agent.json"

[Setup]
; Never change AppId: Windows finds the installed app (upgrades, uninstall) by it.
AppId={{6C1E0C57-3D0B-4C1B-9D4E-5A0F3E7A2B11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=RemoteSales
DefaultDirName={autopf}\RemoteSales Agent
DefaultGroupName=RemoteSales
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=remotesales-agent-setup-{#AppVersion}
SetupIconFile=remotesales-agent.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
; Code signing (release machine only): define the "signtool" tool in the Inno Setup IDE or with
;   iscc "/Ssigntool=signtool.exe sign /fd sha256 /tr http://timestamp.example /td sha256 /a $f" ...
; and uncomment:
; SignTool=signtool
; SignedUninstaller=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "ko"; MessagesFile: "compiler:Languages\Korean.isl"

[CustomMessages]
en.DesktopIcon=Put a RemoteSales shortcut on the desktop
ko.DesktopIcon=바탕 화면에 RemoteSales 바로 가기 만들기
en.ServerTitle=Server and proxy
ko.ServerTitle=서버와 프록시
en.ServerIntro=Your administrator gives you the server's address. You can change all of this later in the app's settings.
ko.ServerIntro=서버 주소는 관리자가 알려 줍니다. 모든 항목은 나중에 앱 설정에서 바꿀 수 있습니다.
en.RelayUrl=Server address (for example https://sales.example.com):
ko.RelayUrl=서버 주소 (예: https://sales.example.com):
en.ProxyNone=No proxy
ko.ProxyNone=프록시 사용 안 함
en.ProxySystem=Use the system's proxy settings
ko.ProxySystem=시스템 프록시 설정 사용
en.ProxyManual=Use this proxy (host and port):
ko.ProxyManual=다음 프록시 사용 (호스트와 포트):
en.ProxyPac=Use this automatic configuration (PAC) address:
ko.ProxyPac=다음 자동 구성(PAC) 주소 사용:
en.BadProxy=Enter the proxy's host and a port between 1 and 65535.
ko.BadProxy=프록시 호스트와 1에서 65535 사이의 포트를 입력하세요.
en.BadPac=Enter the PAC address (it starts with http:// or https://).
ko.BadPac=PAC 주소를 입력하세요 (http:// 또는 https://로 시작).

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"

[Files]
Source: "..\..\dist\remotesales-agent\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; An administrator's provisioning file beside the setup .exe wins over the wizard page.
Source: "{src}\{#Provisioning}"; DestDir: "{app}"; Flags: external skipifsourcedoesntexist

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer wrote; %APPDATA%\RemoteSales (settings, sign-in) stays.
Type: files; Name: "{app}\{#Provisioning}"

[Code]
var
  ServerPage: TWizardPage;
  RelayEdit, HostEdit, PortEdit, PacEdit: TNewEdit;
  NoneButton, SystemButton, ManualButton, PacButton: TNewRadioButton;

function Provisioned(): Boolean;
begin
  Result := FileExists(ExpandConstant('{src}\{#Provisioning}'));
end;

function AddEdit(Top: Integer): TNewEdit;
begin
  Result := TNewEdit.Create(ServerPage);
  Result.Parent := ServerPage.Surface;
  Result.Top := Top;
  Result.Left := ScaleX(16);
  Result.Width := ServerPage.SurfaceWidth - ScaleX(16);
end;

function AddRadio(Top: Integer; Caption: String): TNewRadioButton;
begin
  Result := TNewRadioButton.Create(ServerPage);
  Result.Parent := ServerPage.Surface;
  Result.Top := Top;
  Result.Width := ServerPage.SurfaceWidth;
  Result.Caption := Caption;
end;

procedure InitializeWizard();
var
  Caption: TNewStaticText;
begin
  ServerPage := CreateCustomPage(wpSelectTasks, CustomMessage('ServerTitle'),
    CustomMessage('ServerIntro'));
  Caption := TNewStaticText.Create(ServerPage);
  Caption.Parent := ServerPage.Surface;
  Caption.Caption := CustomMessage('RelayUrl');
  RelayEdit := AddEdit(ScaleY(18));
  RelayEdit.Left := 0;
  RelayEdit.Width := ServerPage.SurfaceWidth;
  NoneButton := AddRadio(ScaleY(52), CustomMessage('ProxyNone'));
  SystemButton := AddRadio(ScaleY(74), CustomMessage('ProxySystem'));
  SystemButton.Checked := True;
  ManualButton := AddRadio(ScaleY(96), CustomMessage('ProxyManual'));
  HostEdit := AddEdit(ScaleY(118));
  HostEdit.Width := ServerPage.SurfaceWidth - ScaleX(100);
  PortEdit := AddEdit(ScaleY(118));
  PortEdit.Left := ServerPage.SurfaceWidth - ScaleX(76);
  PortEdit.Width := ScaleX(76);
  PacButton := AddRadio(ScaleY(148), CustomMessage('ProxyPac'));
  PacEdit := AddEdit(ScaleY(170));
end;

function ShouldSkipPage(PageID: Integer): Boolean;
begin
  Result := (PageID = ServerPage.ID) and Provisioned();
end;

function NextButtonClick(CurPageID: Integer): Boolean;
var
  Port: Integer;
begin
  Result := True;
  if CurPageID <> ServerPage.ID then
    Exit;
  if ManualButton.Checked then begin
    Port := StrToIntDef(Trim(PortEdit.Text), 0);
    if (Trim(HostEdit.Text) = '') or (Port < 1) or (Port > 65535) then begin
      MsgBox(CustomMessage('BadProxy'), mbError, MB_OK);
      Result := False;
    end;
  end;
  if PacButton.Checked and (Pos('http', Lowercase(Trim(PacEdit.Text))) <> 1) then begin
    MsgBox(CustomMessage('BadPac'), mbError, MB_OK);
    Result := False;
  end;
end;

function JsonString(Value: String): String;
begin
  StringChangeEx(Value, '\', '\\', True);
  StringChangeEx(Value, '"', '\"', True);
  Result := '"' + Value + '"';
end;

function ProxyJson(): String;
begin
  if NoneButton.Checked then
    Result := '{"mode": "none"}'
  else if ManualButton.Checked then
    Result := '{"mode": "manual", "host": ' + JsonString(Trim(HostEdit.Text)) +
      ', "port": ' + IntToStr(StrToIntDef(Trim(PortEdit.Text), 0)) + '}'
  else if PacButton.Checked then
    Result := '{"mode": "pac", "pac_url": ' + JsonString(Trim(PacEdit.Text)) + '}'
  else
    Result := '{"mode": "system"}';
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  Json: String;
begin
  // The same file and shape an administrator writes (docs/builds.md, "Provisioning"): only
  // prefills the app's first-run form; the person confirms it there.
  if (CurStep <> ssPostInstall) or Provisioned() then
    Exit;
  Json := '{"network": {"proxy": ' + ProxyJson() + '}';
  if Trim(RelayEdit.Text) <> '' then
    Json := Json + ', "relay_url": ' + JsonString(Trim(RelayEdit.Text));
  SaveStringToFile(ExpandConstant('{app}\{#Provisioning}'), Json + '}' + #13#10, False);
end;
