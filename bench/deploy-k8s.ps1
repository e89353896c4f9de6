<#
.SYNOPSIS
    Rolling updates of the hello sample app on the local Kubernetes API endpoint with Deploy-App,
    beside kubectl apply --server-side + kubectl rollout status of the same objects, split into the
    simulated platform's wait and each client's overhead.
.DESCRIPTION
    Starts tests/DevOpsTools.KubeEndpoint as a process on 127.0.0.1 (pods ready -PodReadySeconds
    after they start; images are only names to it). Deploy-App deploys the sample app (3 replicas)
    to one namespace; kubectl gets the same objects, as the module applied them, in another. Then
    -Updates updates alternating versions 2 and 1, one by Deploy-App then one by kubectl, so both
    see the same load. A watcher (kubectl get deployments -A -w, one line per change, stamped as it
    arrives) sees when each update's new generation appears and when the rollout is complete: that
    span is the platform's wait. A client's overhead is its total time minus that wait, split into
    before (until the new generation is written) and after (from the completed rollout until the
    client returns). Medians. Goal: the module's overhead under 500 ms and no more than kubectl's.

    Needs the .NET SDK (to build the endpoint) and kubectl (tests/DevOpsTools.KubeEndpoint/get-kubectl.sh).
    Uses a temporary directory, which it removes with the endpoint process. Writes
    out/bench/deploy-k8s.md and prints the table.
.EXAMPLE
    dotnet pwsh -c "& ./bench/deploy-k8s.ps1 -Updates 6"
#>
param(
    [string] $ModuleManifest = (Join-Path $PSScriptRoot "../out/DevOpsTools/$((Import-PowerShellDataFile (Join-Path $PSScriptRoot '../DevOpsTools.psd1')).ModuleVersion)/DevOpsTools.psd1"),
    [ValidateRange(1, 50)]
    [int] $Updates = 6,
    [double] $PodReadySeconds = 1
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force

$repo = Join-Path $PSScriptRoot '..'
$kubectl = (& bash (Join-Path $repo 'tests/DevOpsTools.KubeEndpoint/get-kubectl.sh') | Select-Object -Last 1)
if ($LASTEXITCODE -ne 0 -or -not $kubectl) { throw 'get-kubectl.sh could not provide kubectl.' }
$dataRoot = Join-Path ([IO.Path]::GetTempPath()) ("devopstools-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dataRoot | Out-Null
$run = [guid]::NewGuid().ToString('N').Substring(0, 6)
$moduleEnv = "bkm$run"
$kubectlEnv = "bkk$run"
$kc = Join-Path $dataRoot 'kubeconfig'
# kubectl's discovery cache in the temporary directory, not in ~/.kube.
$kArgs = @('--kubeconfig', $kc, '--cache-dir', (Join-Path $dataRoot 'kube-cache'))
$endpoint = $null
$watcher = $null
$lines = [Collections.Concurrent.ConcurrentQueue[object]]::new()
$freq = [Diagnostics.Stopwatch]::Frequency

function Now { [Diagnostics.Stopwatch]::GetTimestamp() }
function Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
}
function Get-Image([int] $i) { if ($i % 2) { 'localhost/devopstools-hello:2' } else { 'localhost/devopstools-hello:1' } }

# The watcher's lines for one namespace since a moment: when the next generation appeared and when it was complete.
function Get-Platform([string] $Namespace, [long] $Since, [long] $Generation) {
    $seen = @($lines.ToArray() | Where-Object { $_.T -ge $Since -and $_.Ns -eq $Namespace })
    $written = $seen | Where-Object { $_.Gen -ge $Generation } | Select-Object -First 1
    $done = $seen | Where-Object { $_.Observed -ge $Generation -and $_.Desired -gt 0 -and $_.Replicas -eq $_.Desired -and $_.Updated -eq $_.Desired -and $_.Available -eq $_.Desired } | Select-Object -First 1
    if (-not $written -or -not $done) { throw "The watcher did not see generation $Generation of $Namespace roll out." }
    [pscustomobject]@{ Written = $written.T; Done = $done.T }
}
function Get-Generation([string] $Namespace) {
    [long](& $kubectl @kArgs -n $Namespace get deployment hello -o 'jsonpath={.metadata.generation}')
}

$loadBefore = (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3
try {
    $endpointDir = Join-Path $dataRoot 'kube-endpoint'
    $built = & dotnet build (Join-Path $repo 'tests/DevOpsTools.KubeEndpoint/DevOpsTools.KubeEndpoint.csproj') -c Release -nologo -v:q -m:1 -o $endpointDir 2>&1
    if ($LASTEXITCODE -ne 0) { throw "Building the endpoint failed: $built" }
    $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in @((Join-Path $endpointDir 'DevOpsTools.KubeEndpoint.dll'), '--port', '0', '--kubeconfig-out', $kc,
            '--pod-ready-seconds', "$PodReadySeconds", '--bookmark-seconds', '5')) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $endpoint = [Diagnostics.Process]::Start($psi)
    if ($endpoint.StandardOutput.ReadLine() -notmatch '^LISTENING ') { throw 'The endpoint did not start.' }

    $spec = Join-Path $dataRoot 'hello.yaml'
    (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')) -replace '(?m)^replicas: 1', 'replicas: 3' | Set-Content $spec
    $k = @{ KubeConfig = $kc; TimeoutSec = 120; ErrorAction = 'Stop' }
    Deploy-App -Path $spec -Environment $moduleEnv -Image (Get-Image 0) @k | Out-Null

    # kubectl applies the very objects the module applied, with kubectl as field manager, in its own namespace.
    $objects = (& $kubectl @kArgs -n $moduleEnv get deployment/hello service/hello pvc/hello-data -o json | ConvertFrom-Json).items
    foreach ($o in $objects) {
        $o.metadata = [pscustomobject]@{ name = $o.metadata.name; namespace = $kubectlEnv; labels = $o.metadata.labels }
        $o.PSObject.Properties.Remove('status')
        if ($o.kind -eq 'Service') { $o.spec.PSObject.Properties.Remove('clusterIP'); $o.spec.PSObject.Properties.Remove('clusterIPs') }
    }
    $manifest = Join-Path $dataRoot 'kubectl.json'
    function Write-Manifest([string] $Image) {
        ($objects | Where-Object kind -EQ 'Deployment').spec.template.spec.containers[0].image = $Image
        @{ apiVersion = 'v1'; kind = 'List'; items = @($objects) } | ConvertTo-Json -Depth 30 | Set-Content $manifest
    }
    $nsFile = Join-Path $dataRoot 'namespace.json'
    @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = $kubectlEnv } } | ConvertTo-Json | Set-Content $nsFile
    & $kubectl @kArgs apply --server-side -f $nsFile | Out-Null
    Write-Manifest (Get-Image 0)
    & $kubectl @kArgs apply --server-side -f $manifest | Out-Null
    & $kubectl @kArgs -n $kubectlEnv rollout status deployment/hello --timeout=120s | Out-Null
    if ($LASTEXITCODE) { throw 'kubectl rollout status failed on the first deploy.' }

    # The watcher: one line per Deployment change, stamped by a thread of its own as it arrives.
    $wpsi = [Diagnostics.ProcessStartInfo]::new($kubectl)
    foreach ($a in $kArgs + @('get', 'deployments', '-A', '--watch', '-o',
            'jsonpath={.metadata.namespace} {.metadata.generation} {.status.observedGeneration} {.spec.replicas} {.status.replicas} {.status.updatedReplicas} {.status.availableReplicas}{"\n"}')) { $wpsi.ArgumentList.Add($a) }
    $wpsi.RedirectStandardOutput = $true; $wpsi.UseShellExecute = $false
    $watcher = [Diagnostics.Process]::Start($wpsi)
    $reader = Start-ThreadJob -ArgumentList $watcher, $lines {
        param($p, $q)
        while ($null -ne ($line = $p.StandardOutput.ReadLine())) {
            $t = [Diagnostics.Stopwatch]::GetTimestamp()
            $f = @($line.Trim() -split ' ') + @('0') * 7
            $n = { param($s) if ($s -match '^\d+$') { [long]$s } else { 0 } }
            $q.Enqueue([pscustomobject]@{ T = $t; Ns = $f[0]; Gen = & $n $f[1]; Observed = & $n $f[2]; Desired = & $n $f[3]; Replicas = & $n $f[4]; Updated = & $n $f[5]; Available = & $n $f[6] })
        }
    }
    Start-Sleep -Seconds 2

    $rows = @{ module = [Collections.Generic.List[object]]::new(); kubectl = [Collections.Generic.List[object]]::new() }
    foreach ($i in 1..$Updates) {
        $image = Get-Image $i
        $gen = (Get-Generation $moduleEnv) + 1
        $start = Now
        Deploy-App -Path $spec -Environment $moduleEnv -Image $image @k | Out-Null
        $end = Now
        Start-Sleep -Milliseconds 300
        $p = Get-Platform $moduleEnv $start $gen
        $rows.module.Add([pscustomobject]@{ Total = ($end - $start) / $freq; Wait = ($p.Done - $p.Written) / $freq; Before = ($p.Written - $start) / $freq; After = ($end - $p.Done) / $freq })

        Write-Manifest $image
        $gen = (Get-Generation $kubectlEnv) + 1
        $start = Now
        & $kubectl @kArgs apply --server-side -f $manifest | Out-Null
        if ($LASTEXITCODE) { throw 'kubectl apply failed.' }
        & $kubectl @kArgs -n $kubectlEnv rollout status deployment/hello --timeout=120s | Out-Null
        if ($LASTEXITCODE) { throw 'kubectl rollout status failed.' }
        $end = Now
        Start-Sleep -Milliseconds 300
        $p = Get-Platform $kubectlEnv $start $gen
        $rows.kubectl.Add([pscustomobject]@{ Total = ($end - $start) / $freq; Wait = ($p.Done - $p.Written) / $freq; Before = ($p.Written - $start) / $freq; After = ($end - $p.Done) / $freq })
    }
}
finally {
    if ($watcher -and -not $watcher.HasExited) { $watcher.Kill(); $watcher.WaitForExit(5000) | Out-Null }
    if (Get-Variable reader -ErrorAction SilentlyContinue) { $reader | Wait-Job -Timeout 5 | Out-Null; $reader | Remove-Job -Force }
    if ($endpoint) {
        try { $endpoint.StandardInput.Close() } catch { }
        if (-not $endpoint.WaitForExit(20000)) { $endpoint.Kill($true); $endpoint.WaitForExit(10000) | Out-Null }
    }
    if ((Split-Path -Leaf $dataRoot) -like 'devopstools-bench-*' -and (Test-Path $dataRoot)) { Remove-Item -LiteralPath $dataRoot -Recurse -Force }
}

$out = [Collections.Generic.List[string]]::new()
$out.Add("$(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC, $(git -C $repo rev-parse --short HEAD), load average before and after: $loadBefore / $((Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3)")
$out.Add('')
$out.Add("| client (median of $Updates updates) | total | platform's wait | overhead | before the write | after the rollout |")
$out.Add('|---|---|---|---|---|---|')
foreach ($name in 'module', 'kubectl') {
    $r = $rows[$name]
    $label = if ($name -eq 'module') { 'Deploy-App' } else { 'kubectl apply --server-side + rollout status' }
    $overhead = Median ($r | ForEach-Object { $_.Total - $_.Wait })
    $out.Add(('| {0} | {1:0.00} s | {2:0.00} s | **{3:0} ms** | {4:0} ms | {5:0} ms |' -f $label, (Median $r.Total), (Median $r.Wait), ($overhead * 1000), ((Median $r.Before) * 1000), ((Median $r.After) * 1000)))
}
$outDir = New-Item -ItemType Directory -Force (Join-Path $PSScriptRoot '../out/bench')
$out | Set-Content (Join-Path $outDir 'deploy-k8s.md')
$out | Write-Output
