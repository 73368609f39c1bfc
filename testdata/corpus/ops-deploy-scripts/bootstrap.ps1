# Registers the Mirth service account on a new interface server.
$password = ConvertTo-SecureString "@@SECRET:generic-password@@" -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential ("STMARYS\svc-mirth", $password)
$prompted = Read-Host "@@BAIT:i18n-string@@Enter your password" -AsSecureString
New-Service -Name "MirthConnect" -BinaryPathName "C:\Program Files\Mirth Connect\mcservice.exe" -Credential $cred
