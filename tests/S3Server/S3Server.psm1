# A real S3-compatible server for the backup tests: s3rver (npm, installed by get-s3rver.sh into
# out/s3rver on first use), on a free 127.0.0.1 port, its objects in a test temp directory.
# s3rver's one account is S3RVER/S3RVER; Start-TestS3Server sets those as the AWS credentials of
# this process (Stop-TestS3Server puts the previous ones back).

function Start-TestS3Server {
    <#
    Starts s3rver on 127.0.0.1 with the buckets given (created at start), objects under Directory.
    Returns @{ Process; Url; Directory; Log; Previous }; stop it with Stop-TestS3Server.
    #>
    param([Parameter(Mandatory)] [string] $Directory, [string[]] $Bucket = @())
    $bin = & bash (Join-Path $PSScriptRoot 'get-s3rver.sh') 2>&1
    if ($LASTEXITCODE -ne 0) { throw "s3rver is not available: $bin" }
    $bin = "$bin".Trim()
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    New-Item -ItemType Directory -Force $Directory | Out-Null
    # Its request log goes to a file (Log), a record of what the server was asked: bash execs into
    # s3rver, so the process started here is the server itself.
    $log = "$Directory.log"
    $start = [System.Diagnostics.ProcessStartInfo]::new('bash')
    foreach ($a in @('-c', 'log="$1"; shift; exec "$@" >"$log" 2>&1', 's3rver', $log, $bin,
            '--directory', $Directory, '--address', '127.0.0.1', '--port', "$port", '--no-vhost-buckets')) { $start.ArgumentList.Add($a) }
    foreach ($b in $Bucket) { $start.ArgumentList.Add('--configure-bucket'); $start.ArgumentList.Add($b) }
    $start.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($start)
    $url = "http://127.0.0.1:$port"
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $port); break } catch { } finally { $client.Dispose() }
        if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
            if (-not $process.HasExited) { $process.Kill() }
            throw "s3rver did not start on $url`: $(Get-Content -Raw $log -ErrorAction SilentlyContinue)"
        }
        Start-Sleep -Milliseconds 100
    }
    $previous = @{}
    foreach ($name in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE') {
        $previous[$name] = [Environment]::GetEnvironmentVariable($name)
    }
    $env:AWS_ACCESS_KEY_ID = 'S3RVER'; $env:AWS_SECRET_ACCESS_KEY = 'S3RVER'
    Remove-Item Env:AWS_SESSION_TOKEN, Env:AWS_PROFILE -ErrorAction SilentlyContinue
    @{ Process = $process; Url = $url; Directory = $Directory; Log = $log; Previous = $previous }
}

function Stop-TestS3Server {
    <# Stops the s3rver that Start-TestS3Server started (by its process) and restores the AWS variables. #>
    param($Server)
    if (-not $Server) { return }
    $process = $Server.Process
    if ($process -and -not $process.HasExited) {
        $process.Kill($true)
        $null = $process.WaitForExit(10000)
    }
    foreach ($entry in $Server.Previous.GetEnumerator()) {
        [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value)
    }
}

Export-ModuleMember -Function Start-TestS3Server, Stop-TestS3Server
