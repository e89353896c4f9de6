<#
.SYNOPSIS
    The nightly check of an environment for a scheduled job: hardening drift (Test-Hardening)
    and service health against the environment's SLOs (Get-ServiceStats), with reports on disk,
    metrics for Prometheus, and an exit code the scheduler and the on-call person can act on.
.DESCRIPTION
    Reads the environment file, audits every server of the environment with its hardening profile
    (read-only), probes every app the file declares where it is deployed (this machine, or with
    -AppServer the environment's servers as container hosts) and holds each to its SLOs.
    Writes, under -ReportDirectory, hardening.json, service-stats.json and the HTML report service-stats.html (and, with
    -TextfileDirectory, devopstools.prom for node_exporter's textfile collector; with
    -PushgatewayUrl, pushes the stats to a Pushgateway).

    Exit codes (added up): 0 all good; 1 hardening drift (a rule not compliant, or a server that
    could not be audited); 2 a service not Healthy or breaking its SLO; 4 the check itself failed
    (a bad environment file, an unreachable provider).
    Wrappers to schedule it: examples/scheduled/ (systemd service and timer, a cron line, a
    Windows Task Scheduler registration).
.EXAMPLE
    ./examples/scheduled-compliance.ps1 -Definition ./examples/environments/test.yaml -ReportDirectory /var/lib/devopstools/reports
.EXAMPLE
    ./examples/scheduled-compliance.ps1 -Definition ./examples/environments/test.yaml -TextfileDirectory /var/lib/prometheus/node-exporter -NoHardening
#>
[CmdletBinding()]
param(
    # The environment file.
    [Parameter(Mandatory)] [string] $Definition,
    # The environment, when the file declares several.
    [string] $Name,
    # Where the JSON reports go (created if missing).
    [string] $ReportDirectory = (Join-Path ([IO.Path]::GetTempPath()) 'devopstools-compliance'),
    # node_exporter's textfile collector directory: devopstools.prom is written there.
    [string] $TextfileDirectory,
    # A Pushgateway to push the service stats to.
    [uri] $PushgatewayUrl,
    # How long each service is probed.
    [timespan] $ProbeDuration = [timespan]::FromSeconds(10),
    # Read the apps' deployments on the environment's servers (container hosts), not on this machine.
    [switch] $AppServer,
    # Leave out the hardening audit (services only).
    [switch] $NoHardening
)
$ErrorActionPreference = 'Stop'
if (Get-Module DevOpsTools) { }
elseif (Get-Module -ListAvailable DevOpsTools) { Import-Module DevOpsTools }
else { Import-Module (Get-ChildItem (Join-Path $PSScriptRoot '../out/DevOpsTools/*/DevOpsTools.psd1') | Select-Object -Last 1).FullName }

$exitCode = 0
try {
    $environment = Import-DevOpsEnvironment -Path $Definition -Name ($Name ? $Name : '*') | Select-Object -First 1
    New-Item -ItemType Directory -Force $ReportDirectory | Out-Null
    # An environment that declares no servers (apps on a cluster or this machine only) is not
    # listed at its provider: there is nothing to audit, and the runner image has no provider CLI.
    $servers = @(if ($environment.Servers.Count -gt 0) { Get-Server -Environment $environment.Name -Provider $environment.Provider.Type })
    $started = [DateTimeOffset]::UtcNow

    # 1. Hardening drift: read-only audit with the environment's own profile and rule selection.
    $reports = @()
    if (-not $NoHardening -and $servers.Count -gt 0) {
        $hardening = @{ Profile = $environment.Hardening.Profile; OutputPath = (Join-Path $ReportDirectory 'hardening.json') }
        if ($environment.Hardening.Rules.Count) { $hardening.Rule = $environment.Hardening.Rules }
        if ($environment.Hardening.ExcludeRules.Count) { $hardening.ExcludeRule = $environment.Hardening.ExcludeRules }
        $reports = @($servers | Test-Hardening @hardening -ErrorVariable auditErrors -ErrorAction SilentlyContinue)
        $drifted = @($reports | Where-Object { $_.NonCompliant -gt 0 -or $_.Failed -gt 0 })
        if ($drifted.Count -gt 0 -or $auditErrors.Count -gt 0) {
            $exitCode += 1
            foreach ($r in $drifted) {
                $rules = ($r.Rules | Where-Object Status -in 'NonCompliant', 'Failed' | ForEach-Object RuleId) -join ', '
                Write-Warning "Hardening drift on $($r.Server.Name): $($r.NonCompliant + $r.Failed) rules ($rules); score $($r.Score)%."
            }
            foreach ($e in $auditErrors) { Write-Warning "Not audited: $($e.Exception.Message)" }
        }
    }

    # 2. Service health against the SLOs of the environment file.
    $targets = if ($AppServer) { @{ Server = $servers } } else { @{} }
    $deployments = @(foreach ($app in $environment.Apps) {
        Get-AppDeployment -Name $app.Name -Environment $environment.Name @targets -ErrorAction SilentlyContinue
    })
    $missing = @($environment.Apps.Name | Where-Object { $_ -notin $deployments.App })
    foreach ($app in $missing) { Write-Warning "App $app is not deployed in $($environment.Name)." }
    $stats = @($deployments | Where-Object { $_.Endpoints.Count -gt 0 } |
        Get-ServiceStats -Environment $environment -Duration $ProbeDuration -Concurrency 2)
    $stats | Export-ServiceStats -Format Json -Path (Join-Path $ReportDirectory 'service-stats.json') | Out-Null
    $stats | Export-ServiceStats -Format Html -Path (Join-Path $ReportDirectory 'service-stats.html') | Out-Null
    $unhealthy = @($stats | Where-Object { $_.Status -ne 'Healthy' -or $_.SloBreached })
    if ($unhealthy.Count -gt 0 -or $missing.Count -gt 0) {
        $exitCode += 2
        foreach ($s in $unhealthy) { Write-Warning "$($s.Service) is $($s.Status): $($s.Reason)" }
    }

    # 3. Metrics for Prometheus: the stats as Export-ServiceStats writes them, plus the scores.
    if ($TextfileDirectory) {
        $prom = Join-Path $TextfileDirectory 'devopstools.prom'
        $stats | Export-ServiceStats -Format Prometheus -Path $prom | Out-Null
        # Server names are validated RFC 1123 labels, safe as label values.
        $lines = @(
            '# HELP devopstools_hardening_score_ratio Share of applicable hardening rules compliant at the last audit.'
            '# TYPE devopstools_hardening_score_ratio gauge'
            $reports | ForEach-Object { 'devopstools_hardening_score_ratio{{environment="{0}",server="{1}"}} {2}' -f $environment.Name, $_.Server.Name, ([double]$_.Score / 100).ToString([cultureinfo]::InvariantCulture) }
            '# HELP devopstools_compliance_exit_code Exit code of the last scheduled compliance run (0 is good).'
            '# TYPE devopstools_compliance_exit_code gauge'
            ('devopstools_compliance_exit_code{{environment="{0}"}} {1}' -f $environment.Name, $exitCode)
        )
        # Written under a temporary name and renamed, so the collector never reads half a file.
        $temp = "$prom.hardening.$PID.tmp"
        (Get-Content -Raw $prom) + (($lines -join "`n") + "`n") | Set-Content -NoNewline -Path $temp
        Move-Item -Force -Path $temp -Destination $prom
    }
    if ($PushgatewayUrl) {
        $stats | Export-ServiceStats -Format Prometheus -PushgatewayUrl $PushgatewayUrl -Job "devopstools-compliance-$($environment.Name)"
    }

    [pscustomobject]@{
        Environment = $environment.Name
        Servers     = $servers.Count
        Drifted     = @($reports | Where-Object { $_.NonCompliant -gt 0 -or $_.Failed -gt 0 }).Count
        Services    = $stats.Count
        Unhealthy   = $unhealthy.Count + $missing.Count
        Reports     = $ReportDirectory
        Duration    = [DateTimeOffset]::UtcNow - $started
        ExitCode    = $exitCode
    } | Format-List | Out-String | Write-Host
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    $exitCode += 4
}
exit $exitCode
