#!/bin/sh
# pwsh of the PowerShell tool package, run by the copied .NET runtime.
exec /usr/share/dotnet/dotnet /opt/pwsh/pwsh.dll "$@"
