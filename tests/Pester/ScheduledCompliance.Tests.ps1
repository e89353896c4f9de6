#Requires -Modules Pester
# examples/scheduled-compliance.ps1 as a scheduler runs it (a child pwsh, its exit code): against
# a real Podman server and the hello app on this machine, before and after Set-Hardening and with
# the app stopped; its Prometheus text checked by promtool; its wrappers checked by the tools that
# read them (systemd-analyze verify for the units, the PowerShell parser, cron's field syntax).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Examples = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'examples'
    $script:Scheduled = Join-Path $Examples 'scheduled'
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
}

Describe 'The scheduled wrappers' {
    It 'the systemd service and timer pass systemd-analyze verify' {
        $dir = New-TestTempDirectory -Prefix 'dtsched-units'
        try {
            Copy-Item (Join-Path $Scheduled 'devopstools-compliance.service'), (Join-Path $Scheduled 'devopstools-compliance.timer') $dir
            $out = & systemd-analyze verify (Join-Path $dir 'devopstools-compliance.service') (Join-Path $dir 'devopstools-compliance.timer') 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $out
            $out | Should -Not -Match 'devopstools-compliance\.(service|timer):\d+:' -Because 'a unit warning names its file and line'
            # verify does catch mistakes: the same unit with a bad type and command fails.
            (Get-Content -Raw (Join-Path $dir 'devopstools-compliance.service')).Replace('Type=oneshot', 'Type=oneshoot').Replace('ExecStart=/usr/bin/env', 'ExecStart=/nonexistent/env') |
                Set-Content (Join-Path $dir 'broken.service')
            & systemd-analyze verify (Join-Path $dir 'broken.service') *> $null
            $LASTEXITCODE | Should -Not -Be 0
        }
        finally { Remove-TestTempDirectory -Path $dir }
    }

    It 'the timer runs the service nightly and the service runs the example script' {
        $timer = Get-Content -Raw (Join-Path $Scheduled 'devopstools-compliance.timer')
        (& systemd-analyze calendar ([regex]::Match($timer, '(?m)^OnCalendar=(.+)$').Groups[1].Value) 2>&1 | Out-String) | Should -Match 'Normalized form: \*-\*-\* 02:30:00'
        Get-Content -Raw (Join-Path $Scheduled 'devopstools-compliance.service') | Should -Match 'examples/scheduled-compliance\.ps1 -Definition '
    }

    It 'the cron file has valid schedule lines that run the example script' {
        $lines = @(Get-Content (Join-Path $Scheduled 'devopstools-compliance.cron') | Where-Object { $_ -and $_ -notmatch '^\s*#' -and $_ -notmatch '^[A-Z_]+=' })
        $lines.Count | Should -Be 1
        foreach ($line in $lines) {
            $fields = $line -split '\s+', 7
            $fields.Count | Should -Be 7
            $fields[0] | Should -Match '^(\*|[0-5]?\d)$'
            $fields[1] | Should -Match '^(\*|1?\d|2[0-3])$'
            $fields[2..4] | ForEach-Object { $_ | Should -Match '^(\*|\d{1,2})$' }
            $fields[5] | Should -Be 'root'
            $fields[6] | Should -Match 'scheduled-compliance\.ps1 -Definition '
        }
    }

    It '<_> parses' -ForEach @('Register-ComplianceTask.ps1') {
        $errors = $null
        [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $Scheduled $_), [ref]$null, [ref]$errors) | Out-Null
        $errors | Should -BeNullOrEmpty
    }
}

Describe 'examples/scheduled-compliance.ps1' -Tag 'Podman' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        $script:work = New-TestTempDirectory -Prefix 'dtsched'
        $script:envName = 'dtsched' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $port = Get-TestFreePort
        $repo = Join-Path $PSScriptRoot '../..'
        $script:definition = Join-Path $work 'env.yaml'
        @"
apiVersion: devopstools/v1
name: $envName
provider:
  type: podman
servers:
  - name: web
hardening:
  profile: Baseline
apps:
  - name: hello
    image: localhost/devopstools-hello:1
    port: 8080
    healthPath: /healthz
monitoring:
  slos:
    - name: hello-availability
      app: hello
      objective: 99
      window: 1d
"@ | Set-Content $definition

        $script:server = New-Server -Name web -Environment $envName -ErrorAction Stop
        & (Join-Path $repo 'examples/apps/hello/build.ps1')
        $spec = Join-Path $work 'hello.yaml'
        (Get-Content -Raw (Join-Path $repo 'examples/apps/hello/app.yaml')).Replace('    port: 8080', "    port: 8080`n    publicPort: $port") | Set-Content $spec
        Deploy-App -Path $spec -Environment $envName -TimeoutSec 120 -ErrorAction Stop | Out-Null

        function Invoke-Compliance([string[]] $Extra) {
            $script:reports = Join-Path $work ('reports-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
            $script:textfiles = New-Item -ItemType Directory (Join-Path $work ('textfile-' + [guid]::NewGuid().ToString('N').Substring(0, 6)))
            # As -File would: the script's exit code is the process's. Plain text: no escape codes in the output.
            $command = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'; & '$(Join-Path $Examples 'scheduled-compliance.ps1')' -Definition '$definition' -ReportDirectory '$reports' -TextfileDirectory '$textfiles' -ProbeDuration 00:00:02 $($Extra -join ' '); exit `$LASTEXITCODE"
            $script:output = & $Pwsh -NoProfile -NonInteractive -Command $command 2>&1 | Out-String
            $LASTEXITCODE
        }
    }

    AfterAll {
        Remove-App hello -Environment $envName -RemoveVolumes -Force -ErrorAction SilentlyContinue
        Get-Server -Environment $envName -ErrorAction SilentlyContinue | Remove-Server -Force -ErrorAction SilentlyContinue
        @(podman ps -a --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" }) | ForEach-Object { podman rm -f -- $_ *> $null }
        podman volume ls --format '{{.Name}}' | Where-Object { $_ -like "*$envName*" } | ForEach-Object { podman volume rm -f -- $_ *> $null }
        Remove-TestPodmanEnvironment -Environment $envName
        Remove-TestTempDirectory -Path $work
        Remove-TestDataRoot -Path $dataRoot -Restore $savedHome
    }

    It 'exits 1 on a server that drifted from its profile, with the reports and metrics written' {
        Invoke-Compliance | Should -Be 1 -Because $output
        $output | Should -Match 'Hardening drift on web: \d+ rules'
        $hardening = Get-Content -Raw (Join-Path $reports 'hardening.json') | ConvertFrom-Json
        $hardening.servers.server | Should -Be 'web'
        $stats = Get-Content -Raw (Join-Path $reports 'service-stats.json') | ConvertFrom-Json
        $stats.service | Should -Be 'hello'
        $stats.status | Should -Be 'Healthy'
        Get-Content -Raw (Join-Path $reports 'service-stats.html') | Should -Match '<html[^>]*>[\s\S]*hello'
        $prom = Join-Path $textfiles 'devopstools.prom'
        $check = Get-Content -Raw $prom | & promtool check metrics 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $check
        Get-Content -Raw $prom | Should -Match "devopstools_hardening_score_ratio\{environment=`"$envName`",server=`"web`"\} 0\.\d+"
        Get-Content -Raw $prom | Should -Match "devopstools_compliance_exit_code\{environment=`"$envName`"\} 1"
        @(Get-ChildItem $textfiles -Filter '*.tmp').Count | Should -Be 0
    }

    It 'exits 0 once the server is hardened and the app is healthy' {
        $server | Set-Hardening -Profile Baseline -Force -ErrorAction Stop | Out-Null
        Invoke-Compliance | Should -Be 0 -Because $output
        Get-Content -Raw (Join-Path $textfiles 'devopstools.prom') | Should -Match 'server="web"\} 1\b'
    }

    It 'exits 2 when the app is down, naming it' {
        $running = @(podman ps --format '{{.Names}}' | Where-Object { $_ -like "dot-$envName-*" -and $_ -notlike '*proxy*' })
        $running.Count | Should -BeGreaterThan 0
        $running | ForEach-Object { podman stop -t 1 -- $_ *> $null }
        Invoke-Compliance -Extra '-NoHardening' | Should -Be 2 -Because $output
        $output | Should -Match 'hello is (Down|Degraded)'
    }

    It 'exits 4 on an environment file with an error, naming its line' {
        $bad = Join-Path $work 'bad.yaml'
        "apiVersion: devopstools/v1`nname: $envName`nservers:`n  - name: web`n    sise: small`n" | Set-Content $bad
        $command = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$($env:DEVOPSTOOLS_TEST_MODULE)'; & '$(Join-Path $Examples 'scheduled-compliance.ps1')' -Definition '$bad'; exit `$LASTEXITCODE"
        $out = & $Pwsh -NoProfile -NonInteractive -Command $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 4 -Because $out
        $out | Should -Match 'bad\.yaml:5:5'
    }
}

Describe 'The Kubernetes CronJob and its runner image' -Tag 'Podman' {
    BeforeAll {
        $script:manifestPath = Join-Path $Scheduled 'kubernetes/compliance-cronjob.yaml'
        $script:docs = @(python3 -c 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' $manifestPath | ConvertFrom-Json)
        $script:cronJob = $docs | Where-Object kind -eq 'CronJob'
        $script:configMap = $docs | Where-Object kind -eq 'ConfigMap'
        $script:container = $cronJob.spec.jobTemplate.spec.template.spec.containers[0]
        $script:version = (Import-PowerShellDataFile (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'DevOpsTools.psd1')).ModuleVersion
        # A tag of this run's own, removed after; the manifest names the release tag.
        $script:tag = 'localhost/devopstools-runner:test-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:work = New-TestTempDirectory -Prefix 'dtsched-cron'
        $build = & $Pwsh -NoProfile -NonInteractive -File (Join-Path $Scheduled 'kubernetes/Build-RunnerImage.ps1') -Tag $tag 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "Build-RunnerImage.ps1 failed: $build" }
    }

    AfterAll {
        & podman rmi -f $tag *> $null
        Remove-TestTempDirectory -Path $work
    }

    It 'declares a nightly CronJob that never overlaps, runs the runner image unprivileged and mounts what the script reads' {
        $cronJob.apiVersion | Should -Be 'batch/v1'
        $cronJob.spec.schedule | Should -Match '^\S+ \S+ \S+ \S+ \S+$'
        $cronJob.spec.concurrencyPolicy | Should -Be 'Forbid'
        $cronJob.spec.jobTemplate.spec.template.spec.restartPolicy | Should -Be 'Never'
        $cronJob.spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot | Should -BeTrue
        $container.image | Should -Be "localhost/devopstools-runner:$version"
        $container.securityContext.readOnlyRootFilesystem | Should -BeTrue
        $container.args[0..1] | Should -Be @('-File', '/opt/devopstools/examples/scheduled-compliance.ps1')
        $definition = $container.args[[array]::IndexOf($container.args, '-Definition') + 1]
        $mount = $container.volumeMounts | Where-Object { $definition.StartsWith($_.mountPath + '/') -and -not $_.subPath }
        $mount.name | Should -Be 'environment'
        $configMap.data.PSObject.Properties.Name | Should -Contain (Split-Path -Leaf $definition)
    }

    It 'the image runs the CronJob''s command as its user, with a read-only root, and the job succeeds' {
        # The pod as podman runs it: the ConfigMap's files, an emptyDir the pod's user owns
        # (fsGroup), tmpfs /tmp, the container's env and args exactly as the manifest gives them.
        $config = New-Item -ItemType Directory (Join-Path $work 'config')
        foreach ($p in $configMap.data.PSObject.Properties) { [IO.File]::WriteAllText((Join-Path $config $p.Name), $p.Value) }
        $data = New-Item -ItemType Directory (Join-Path $work 'data')
        $uid = $cronJob.spec.jobTemplate.spec.template.spec.securityContext.runAsUser
        & chown "${uid}:${uid}" $data; & chmod 0700 $data
        $envArgs = @($container.env | ForEach-Object { '-e'; "$($_.name)=$($_.value)" })
        $out = & podman run --rm --user $uid --read-only --tmpfs /tmp -v "${config}:/etc/devopstools:ro" -v "${data}:/var/lib/devopstools" @envArgs $tag @($container.args) 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Match 'Environment : prod'
        $out | Should -Match 'ExitCode\s+: 0'
        Test-Path (Join-Path $data 'reports/service-stats.html') | Should -BeTrue
    }

    It 'the image holds the module: every cmdlet the manifest exports' {
        $exported = (Import-PowerShellDataFile (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'DevOpsTools.psd1')).CmdletsToExport.Count
        $out = & podman run --rm $tag -Command 'Import-Module DevOpsTools; @(Get-Command -Module DevOpsTools).Count' 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        [int]$out.Trim() | Should -Be $exported
    }
}
