# The local endpoint the stats benches load: Debian's nginx started as this user on 127.0.0.1
# (a temporary prefix, one worker per CPU, keep-alive, a 2-byte body from `return 200`).
# One definition, so bench/stats.ps1 and bench/stats-memory.ps1 measure the same server.

function Start-BenchNginx {
    <# Starts nginx on a free loopback port; returns Prefix (its temporary directory, also free for the caller's files), Port and Url. #>
    if (-not (Get-Command nginx -ErrorAction SilentlyContinue)) { throw 'nginx is needed (apt-get install nginx).' }
    $prefix = Join-Path ([IO.Path]::GetTempPath()) ("devopstools-bench-nginx-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Force (Join-Path $prefix 'logs') | Out-Null
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    @"
worker_processes auto;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $prefix/body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    server {
        listen 127.0.0.1:${port};
        location / { return 200 "ok"; }
    }
}
"@ | Set-Content (Join-Path $prefix 'nginx.conf')
    & nginx -p $prefix -c (Join-Path $prefix 'nginx.conf') 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) {
        $log = Get-Content -Raw (Join-Path $prefix 'logs/error.log') -ErrorAction SilentlyContinue
        Stop-BenchNginx ([pscustomobject]@{ Prefix = $prefix })
        throw "nginx did not start: $log"
    }
    [pscustomobject]@{ Prefix = $prefix; Port = $port; Url = "http://127.0.0.1:$port/" }
}

function Stop-BenchNginx {
    <# Stops an nginx from Start-BenchNginx and deletes its temporary directory, and nothing else. #>
    param([Parameter(Mandatory)] $Nginx)
    $prefix = $Nginx.Prefix
    if (-not $prefix -or (Split-Path -Leaf $prefix) -notlike 'devopstools-bench-nginx-*' -or -not $prefix.StartsWith([IO.Path]::GetTempPath())) { return }
    if (Test-Path (Join-Path $prefix 'nginx.pid')) {
        & nginx -p $prefix -c (Join-Path $prefix 'nginx.conf') -s stop 2>&1 | Out-Null
        Start-Sleep -Milliseconds 500
    }
    Remove-Item -Recurse -Force -LiteralPath $prefix -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Start-BenchNginx, Stop-BenchNginx
