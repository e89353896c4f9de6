# Helpers shared by the Pester suites. The deletion guard lives here, once: a test may only
# ever delete a directory it created under the temp folder (see the /root incident in history).

function New-TestDataRoot {
    <# Creates nothing yet: points DEVOPSTOOLS_HOME at a fresh temp path and returns it. #>
    $path = Join-Path ([IO.Path]::GetTempPath()) ('devopstools-test-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $env:DEVOPSTOOLS_HOME = $path
    $path
}

function Remove-TestDataRoot {
    <# Deletes a directory from New-TestDataRoot, and nothing else; clears DEVOPSTOOLS_HOME. #>
    param([string] $Path, [string] $Restore)
    $tempRoot = [IO.Path]::GetFullPath([IO.Path]::GetTempPath())
    if ($Path -and (Split-Path -Leaf $Path) -like 'devopstools-test-*' -and
        [IO.Path]::GetFullPath($Path).StartsWith($tempRoot) -and (Test-Path -LiteralPath $Path)) {
        Remove-Item -LiteralPath $Path -Recurse -Force -ErrorAction SilentlyContinue
    }
    if ($Restore) { $env:DEVOPSTOOLS_HOME = $Restore } else { Remove-Item Env:DEVOPSTOOLS_HOME -ErrorAction SilentlyContinue }
}

# The directories New-TestTempDirectory made in this session: the only ones Remove-TestTempDirectory
# deletes. Global, so that a suite that imports this module again with -Force keeps what it made.
if ($null -eq $global:DevOpsToolsTestTempDirectories) {
    $global:DevOpsToolsTestTempDirectories = [System.Collections.Generic.HashSet[string]]::new()
}

function New-TestTempDirectory {
    <# Creates <temp>/<Prefix>-<random> and returns its path; Remove-TestTempDirectory deletes it. #>
    param([Parameter(Mandatory)] [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9_.-]*$')] [string] $Prefix)
    $path = Join-Path ([IO.Path]::GetFullPath([IO.Path]::GetTempPath())) ($Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $path
    $null = $global:DevOpsToolsTestTempDirectories.Add($path)
    $path
}

function Remove-TestTempDirectory {
    <# Deletes a directory New-TestTempDirectory made in this session, and refuses anything else. #>
    param([string] $Path)
    if (-not $Path) { return }
    $full = [IO.Path]::GetFullPath($Path)
    if (-not $global:DevOpsToolsTestTempDirectories.Contains($full)) {
        throw "refusing to delete '$full': New-TestTempDirectory did not create it in this session"
    }
    if (Test-Path -LiteralPath $full) { Remove-Item -LiteralPath $full -Recurse -Force }
    $null = $global:DevOpsToolsTestTempDirectories.Remove($full)
}

function Get-TestFreePort {
    <# A TCP port free on 127.0.0.1 right now (the OS picks it). #>
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Import-TestNpgsql {
    <# Loads Npgsql (and the logging abstractions it needs) from the NuGet cache the build restored, for tests that connect to PostgreSQL as an app would. #>
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    Add-Type -Path (Join-Path $packages 'microsoft.extensions.logging.abstractions/8.0.3/lib/net8.0/Microsoft.Extensions.Logging.Abstractions.dll')
    Add-Type -Path (Join-Path $packages 'npgsql/8.0.5/lib/net8.0/Npgsql.dll')
}

function Start-TestStatsEndpoint {
    <#
    Builds tests/DevOpsTools.StatsEndpoint into Directory and starts it on a free 127.0.0.1 port (port
    0: the server picks one and says which). Returns @{ Process; Url }; it stops when its stdin closes
    (Stop-TestStatsEndpoint).
    #>
    param([Parameter(Mandatory)] [string] $Directory)
    $project = Join-Path $PSScriptRoot '../DevOpsTools.StatsEndpoint/DevOpsTools.StatsEndpoint.csproj'
    $out = & dotnet build $project -c Release -nologo -v:q -m:1 -o $Directory 2>&1
    if ($LASTEXITCODE -ne 0) { throw "building the test server failed: $out" }
    $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in @((Join-Path $Directory 'DevOpsTools.StatsEndpoint.dll'), '--port', '0')) { $start.ArgumentList.Add($a) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch '^listening (http://127\.0\.0\.1:\d+)$') {
        if (-not $process.HasExited) { $process.Kill() }
        throw "the test server did not start: '$line'"
    }
    @{ Process = $process; Url = $Matches[1] }
}

function Stop-TestStatsEndpoint {
    <# Stops a server from Start-TestStatsEndpoint: closes its stdin, and kills it if it lingers. #>
    param($Endpoint)
    $process = $Endpoint.Process
    if ($process -and -not $process.HasExited) {
        $process.StandardInput.Close()
        if (-not $process.WaitForExit(10000)) { $process.Kill() }
    }
}

function Remove-TestPodmanEnvironment {
    <# Safety net after Remove-Server and data tests: podman directly, only containers, networks and volumes that carry these environments' labels. #>
    param([string[]] $Environment)
    foreach ($name in @($Environment | Where-Object { $_ })) {
        foreach ($id in @(& podman ps -a -q --filter "label=devopstools.environment=$name" 2>$null)) { & podman rm -f -t 0 -- $id 2>$null | Out-Null }
        foreach ($n in @(& podman network ls -q --filter "label=devopstools.environment=$name" 2>$null)) { & podman network rm -- $n 2>$null | Out-Null }
        # Data services keep their data in named volumes with the same label.
        foreach ($v in @(& podman volume ls -q --filter "label=devopstools.environment=$name" 2>$null)) { & podman volume rm -f -- $v 2>$null | Out-Null }
    }
}

function Invoke-TestSsh {
    <# OpenSSH itself, with the module's environment key and known_hosts: proof the files work outside the module. #>
    param($Server, [string] $Command, [string] $User = 'admin')
    $key = Join-Path $env:DEVOPSTOOLS_HOME "keys/$($Server.Environment)/id_ed25519"
    $known = Join-Path $env:DEVOPSTOOLS_HOME 'known_hosts'
    & ssh -i $key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$known" `
        -o ConnectTimeout=10 -p $Server.SshPort "$User@$($Server.Address)" $Command 2>&1
}

Import-Module (Join-Path $PSScriptRoot '../TestResults.psm1') -Force

function Test-CredentialLane {
    <#
    Whether a credential lane of tests/credential-lanes.json is on (its variable is set). A test that
    needs the lane carries the lane's name as a tag and skips while it is off; that is the only skip
    build.ps1 -Task Test accepts: Describe 'On EKS' -Tag RealCluster -Skip:(-not (Test-CredentialLane RealCluster))
    #>
    param([Parameter(Mandatory)] [string] $Name)
    (Get-CredentialLane -Name $Name).Enabled
}

Export-ModuleMember -Function New-TestDataRoot, Remove-TestDataRoot, New-TestTempDirectory, Remove-TestTempDirectory, Get-TestFreePort, Import-TestNpgsql, Start-TestStatsEndpoint, Stop-TestStatsEndpoint, Remove-TestPodmanEnvironment, Invoke-TestSsh, Test-CredentialLane
