#Requires -Modules Pester
# The deploy cmdlets' Kubernetes parameter set through the built module: the hello sample app
# deployed, planned (-WhatIf), rolled back, undone, promoted between two namespaces, its log read
# and removed; the real kubectl (tests/DevOpsTools.KubeEndpoint/get-kubectl.sh) checks what the
# module applied.
#
# Default lane: the local Kubernetes API server (tests/DevOpsTools.KubeEndpoint) as a process on
# 127.0.0.1, with the kubeconfig it writes (--kubeconfig-out). Its kubelet runs any image; one whose
# name contains "broken" crash-loops.
#
# Real-cluster lane: DEVOPSTOOLS_TEST_KUBECONFIG=<kubeconfig> runs the same Describe against that
# cluster (its current context), in two namespaces of its own that AfterAll deletes. The cluster must
# be able to run the sample images (for example `kind load docker-image`), or name others with
# DEVOPSTOOLS_TEST_K8S_IMAGE1 / DEVOPSTOOLS_TEST_K8S_IMAGE2; the broken image is never pullable
# there, so its rollback reason is the cluster's (ImagePullBackOff or a failing readiness probe).

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:lane = if (Test-CredentialLane RealCluster) { 'real cluster' } else { 'local API endpoint' }
    # Checks only the local endpoint can make (its token, its crash-looping images).
    $script:endpointOnly = if (Test-CredentialLane RealCluster) { @() } else { @(@{}) }
}

Describe "Deploy-App on Kubernetes ($lane)" -Tag 'Kubernetes', 'Deploy' {
    BeforeAll {
        Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:real = Test-CredentialLane RealCluster
        $script:savedHome = $env:DEVOPSTOOLS_HOME
        $script:dataRoot = New-TestDataRoot
        New-Item -ItemType Directory -Force $dataRoot | Out-Null
        $repo = $env:DEVOPSTOOLS_REPO_ROOT
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $script:envTest = "k8st-$suffix"
        $script:envProd = "k8sp-$suffix"
        $script:envQuota = "k8sq-$suffix"
        $script:envIngress = "k8si-$suffix"
        $script:spec = Join-Path $repo 'examples/apps/hello/app.yaml'
        $script:image1 = if ($env:DEVOPSTOOLS_TEST_K8S_IMAGE1) { $env:DEVOPSTOOLS_TEST_K8S_IMAGE1 } else { 'localhost/devopstools-hello:1' }
        $script:image2 = if ($env:DEVOPSTOOLS_TEST_K8S_IMAGE2) { $env:DEVOPSTOOLS_TEST_K8S_IMAGE2 } else { 'localhost/devopstools-hello:2' }
        $script:broken = 'localhost/devopstools-hello:broken'
        $script:endpoint = $null

        # kubectl is fetched (npm) or fails the suite; it never skips.
        $script:kubectl = (& bash (Join-Path $repo 'tests/DevOpsTools.KubeEndpoint/get-kubectl.sh') | Select-Object -Last 1)
        if ($LASTEXITCODE -ne 0 -or -not $kubectl) { throw 'get-kubectl.sh could not provide kubectl.' }

        if ($real) {
            $script:kc = $env:DEVOPSTOOLS_TEST_KUBECONFIG
            $script:brokenTimeout = 90
        }
        else {
            $endpointDir = Join-Path $dataRoot 'kube-endpoint'
            $buildOutput = & dotnet build (Join-Path $repo 'tests/DevOpsTools.KubeEndpoint/DevOpsTools.KubeEndpoint.csproj') -c Release -nologo -v:q -m:1 -o $endpointDir 2>&1
            if ($LASTEXITCODE -ne 0) { throw "Building the Kubernetes endpoint failed: $buildOutput" }
            $script:kc = Join-Path $dataRoot 'kubeconfig'
            # stdin stays open: the endpoint exits when it closes.
            $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($a in @((Join-Path $endpointDir 'DevOpsTools.KubeEndpoint.dll'), '--port', '0', '--kubeconfig-out', $kc,
                    '--pod-ready-seconds', '0.5', '--crash-backoff-seconds', '0.5', '--bookmark-seconds', '1')) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true
            $psi.RedirectStandardOutput = $true
            $psi.UseShellExecute = $false
            $script:endpoint = [Diagnostics.Process]::Start($psi)
            $readLine = $endpoint.StandardOutput.ReadLineAsync()
            if (-not $readLine.Wait([TimeSpan]::FromSeconds(60)) -or $readLine.Result -notmatch '^LISTENING (https://127\.0\.0\.1:\d+/)$') {
                throw "The Kubernetes endpoint did not start (exit code: $(if ($endpoint.HasExited) { $endpoint.ExitCode } else { 'still running' }))."
            }
            Write-Host "Kubernetes endpoint: $($Matches[1]) (pid $($endpoint.Id))"
            $script:brokenTimeout = 4
        }

        $script:k = @{ KubeConfig = $kc }
        function Get-Kube {
            param([Parameter(Mandatory)] [string[]] $Arguments)
            $text = & $script:kubectl --kubeconfig $script:kc @Arguments -o json 2>&1
            if ($LASTEXITCODE -ne 0) { throw "kubectl $Arguments failed: $text" }
            ($text -join "`n") | ConvertFrom-Json
        }
    }

    AfterAll {
        try {
            foreach ($envName in $script:envTest, $script:envProd, $script:envQuota, $script:envIngress) {
                Remove-App hello -Environment $envName -KubeConfig $script:kc -RemoveVolumes -Force -ErrorAction SilentlyContinue | Out-Null
                # The namespaces this suite made (their names carry its suffix), and nothing else.
                & $script:kubectl --kubeconfig $script:kc delete namespace $envName --ignore-not-found --wait=false *> $null
            }
        }
        finally {
            if ($script:endpoint) {
                try { $script:endpoint.StandardInput.Close() } catch { }
                if (-not $script:endpoint.WaitForExit(20000)) { $script:endpoint.Kill($true); $script:endpoint.WaitForExit(10000) | Out-Null }
            }
            Remove-TestDataRoot -Path $script:dataRoot -Restore $script:savedHome
        }
    }

    It 'deploys the sample app into a new namespace, and kubectl sees what the module applied' {
        $d = Deploy-App -Path $spec -Environment $envTest -Image $image1 @k -TimeoutSec 120 -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        $d.TargetKind | Should -Be 'Kubernetes'
        $d.Target | Should -BeLike "*/$envTest"
        $d.Revision | Should -Be 1
        $d.ImageDigest | Should -Match '^sha256:[0-9a-f]{64}$'
        $d.Endpoints[0].Port | Should -Be 8080

        $ns = Get-Kube get, namespace, $envTest
        $ns.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'devopstools'
        $live = Get-Kube get, deploy, hello, -n, $envTest, --show-managed-fields
        $live.spec.template.spec.containers[0].image | Should -Be $image1
        $live.spec.template.spec.containers[0].readinessProbe.httpGet.path | Should -Be '/healthz'
        $live.metadata.labels.'app.kubernetes.io/name' | Should -Be 'hello'
        @($live.metadata.managedFields | Where-Object { $_.manager -eq 'devopstools' -and $_.operation -eq 'Apply' }).Count | Should -Be 1
        $live.status.availableReplicas | Should -Be 1
        (Get-Kube get, service, hello, -n, $envTest).spec.ports[0].port | Should -Be 8080
        (Get-Kube get, pvc, hello-data, -n, $envTest).spec.resources.requests.storage | Should -Be '1Gi'
    }

    It 'loads KubernetesClient and its dependencies from the module''s Dependencies folder, in its own load context' {
        $dependencies = Join-Path (Split-Path -Parent $env:DEVOPSTOOLS_TEST_MODULE) 'Dependencies'
        foreach ($name in 'KubernetesClient', 'Fractions', 'YamlDotNet') {
            $loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name -and $_.Location.StartsWith($dependencies) })
            $loaded.Count | Should -Be 1 -Because "$name must come from $dependencies"
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($loaded[0]).Name | Should -Be 'DevOpsTools'
        }
    }

    It 'shows a server-side dry run as a diff with -WhatIf and changes nothing' {
        $before = Get-Kube get, deploy, hello, -n, $envTest
        Deploy-App -Path $spec -Environment $envTest -Image $image2 @k -WhatIf -InformationVariable plan
        $text = $plan | Out-String
        $text | Should -Match ([regex]::Escape("-            ""image"": ""$image1"""))
        $text | Should -Match ([regex]::Escape("+            ""image"": ""$image2"""))
        $after = Get-Kube get, deploy, hello, -n, $envTest
        $after.metadata.generation | Should -Be $before.metadata.generation
        $after.spec.template.spec.containers[0].image | Should -Be $image1
    }

    It 'rolls a broken image back and says why' {
        $d = Deploy-App -Path $spec -Environment $envTest -Image $broken @k -TimeoutSec $brokenTimeout -ErrorVariable failed -ErrorAction SilentlyContinue
        $d.Status | Should -Be 'RolledBack'
        $d.RolledBack | Should -BeTrue
        $d.RollbackReason | Should -Match 'ProgressDeadlineExceeded|did not finish'
        if (-not $real) { $d.RollbackReason | Should -Match 'CrashLoopBackOff' }
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DeployRolledBack*'
        (Get-Kube get, deploy, hello, -n, $envTest).spec.template.spec.containers[0].image | Should -Be $image1
        $history = (Get-AppDeployment hello -Environment $envTest @k -ErrorAction Stop).History
        ($history | Where-Object Image -EQ $broken).Status | Should -Be 'RolledBack'
    }

    It 'updates to version 2 and undoes to the revision of version 1' {
        (Deploy-App -Path $spec -Environment $envTest -Image $image2 @k -TimeoutSec 120 -ErrorAction Stop).Status | Should -Be 'Healthy'
        (Get-Kube get, deploy, hello, -n, $envTest).spec.template.spec.containers[0].image | Should -Be $image2
        # Revision numbers move as in Kubernetes: a template restored by a rollback takes the next one.
        $history = (Get-AppDeployment hello -Environment $envTest @k -ErrorAction Stop).History
        $first = ($history | Where-Object Image -EQ $image1 | Select-Object -First 1).Revision
        $first | Should -BeGreaterThan 0
        $u = Undo-AppDeployment hello -Environment $envTest -ToRevision $first @k -TimeoutSec 120 -Confirm:$false -ErrorAction Stop
        $u.Status | Should -Be 'Healthy'
        $u.Image | Should -Be $image1
        $u.Revision | Should -Be ($history[0].Revision + 1)
        (Get-Kube get, deploy, hello, -n, $envTest).spec.template.spec.containers[0].image | Should -Be $image1
    }

    It 'reads the log of every pod, prefixed by the pod name' {
        $pods = @((Get-Kube get, pods, -n, $envTest, -l, 'app.kubernetes.io/name=hello').items | Where-Object { $_.status.phase -eq 'Running' } | ForEach-Object { $_.metadata.name })
        $lines = @(Get-AppLog hello -Environment $envTest @k -ErrorAction Stop)
        $lines | Should -Not -BeNullOrEmpty
        @($lines.Instance | Sort-Object -Unique) | Should -Be @($pods | Sort-Object -Unique)
    }

    It 'promotes the digest that runs in one namespace to another' {
        $source = Get-AppDeployment hello -Environment $envTest @k -ErrorAction Stop
        $d = Deploy-App -Path $spec -Environment $envProd -FromEnvironment $envTest @k -TimeoutSec 120 -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        $d.ImageDigest | Should -Be $source.ImageDigest
        (Get-Kube get, deploy, hello, -n, $envProd).spec.template.spec.containers[0].image | Should -Be "$image1@$($source.ImageDigest)"
    }

    It 'refuses what the namespace''s quota does not allow with KubernetesQuotaExceeded, leaving nothing half-applied' {
        $quota = Join-Path $dataRoot 'quota.json'
        $manifest = @{ apiVersion = 'v1'; kind = 'List'; items = @(
                @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = $envQuota } }
                @{ apiVersion = 'v1'; kind = 'ResourceQuota'; metadata = @{ name = 'no-deploys'; namespace = $envQuota }; spec = @{ hard = @{ 'count/deployments.apps' = '0' } } }) }
        $manifest | ConvertTo-Json -Depth 6 | Set-Content $quota
        $created = & $kubectl --kubeconfig $kc apply --server-side -f $quota 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$created"

        $refusal = $null
        try { Deploy-App -Path $spec -Environment $envQuota -Image $image1 @k -TimeoutSec 60 -ErrorAction Stop | Out-Null }
        catch { $refusal = $_ }
        $refusal | Should -Not -BeNullOrEmpty
        $refusal.FullyQualifiedErrorId | Should -BeLike 'KubernetesQuotaExceeded,*'
        $refusal.CategoryInfo.Category | Should -Be 'QuotaExceeded'
        $refusal.Exception.Message | Should -Match ([regex]::Escape('deployments.apps "hello" is forbidden: exceeded quota: no-deploys, requested: count/deployments.apps=1, used: count/deployments.apps=0, limited: count/deployments.apps=0'))
        # Every object's dry run came first: neither the ConfigMap, the Service nor the PVC was written.
        @((Get-Kube get, 'deploy,svc,pvc,configmap', -n, $envQuota, -l, 'app.kubernetes.io/name=hello').items).Count | Should -Be 0
    }

    It 'rolls back an update whose pods the quota does not allow, with KubernetesQuotaExceeded' {
        # One pod, the running revision's: the rolling update's extra pod is refused by the API.
        $deleted = & $kubectl --kubeconfig $kc -n $envQuota delete resourcequota no-deploys 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$deleted"
        $quota = Join-Path $dataRoot 'quota-pods.json'
        @{ apiVersion = 'v1'; kind = 'ResourceQuota'; metadata = @{ name = 'one-pod'; namespace = $envQuota }; spec = @{ hard = @{ pods = '1' } } } |
            ConvertTo-Json -Depth 5 | Set-Content $quota
        $created = & $kubectl --kubeconfig $kc apply --server-side -f $quota 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$created"
        (Deploy-App -Path $spec -Environment $envQuota -Image $image1 @k -TimeoutSec 120 -ErrorAction Stop).Status | Should -Be 'Healthy'

        $refusal = $null
        try { Deploy-App -Path $spec -Environment $envQuota -Image $image2 @k -TimeoutSec 120 -ErrorAction Stop | Out-Null }
        catch { $refusal = $_ }
        $refusal | Should -Not -BeNullOrEmpty
        $refusal.FullyQualifiedErrorId | Should -BeLike 'KubernetesQuotaExceeded,*'
        $refusal.Exception.Message | Should -Match 'exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1'
        $refusal.Exception.Message | Should -Match 'rolled back to revision 1'
        (Get-Kube get, deploy, hello, -n, $envQuota).spec.template.spec.containers[0].image | Should -Be $image1
        $pods = @((Get-Kube get, pods, -n, $envQuota, -l, 'app.kubernetes.io/name=hello').items)
        $pods.Count | Should -Be 1
        $pods[0].spec.containers[0].image | Should -Be $image1
        (Get-AppDeployment hello -Environment $envQuota @k -ErrorAction Stop).Status | Should -Be 'Healthy'
    }

    It 'applies the app''s host names as an Ingress, shows it with -WhatIf and removes it with the app' {
        # The sample app with host names: test gets its own, as an environment override.
        $withHosts = Join-Path $dataRoot 'hello-hosts.yaml'
        (Get-Content -Raw $spec) -replace '(?m)^replicas: 1', "replicas: 1`nhosts: [hello.example.test]" | Set-Content $withHosts
        Deploy-App -Path $withHosts -Environment $envIngress -Image $image1 @k -WhatIf -InformationVariable plan
        ($plan | Out-String) | Should -Match ([regex]::Escape('+++ Ingress/hello'))
        @((Get-Kube get, namespace, --field-selector, "metadata.name=$envIngress").items).Count | Should -Be 0 -Because '-WhatIf changes nothing'

        $d = Deploy-App -Path $withHosts -Environment $envIngress -Image $image1 @k -TimeoutSec 120 -ErrorAction Stop
        $d.Status | Should -Be 'Healthy'
        ($d.Endpoints | Where-Object Name -EQ 'ingress').Address | Should -Be 'hello.example.test'
        $ing = Get-Kube get, ingress, hello, -n, $envIngress, --show-managed-fields
        $ing.spec.rules[0].host | Should -Be 'hello.example.test'
        $ing.spec.rules[0].http.paths[0].backend.service.name | Should -Be 'hello'
        $ing.spec.rules[0].http.paths[0].backend.service.port.number | Should -Be 8080
        @($ing.metadata.managedFields | Where-Object manager -EQ 'devopstools').Count | Should -Be 1

        (Remove-App hello -Environment $envIngress @k -RemoveVolumes -Force -ErrorAction Stop).Status | Should -Be 'Removed'
        @((Get-Kube get, ingress, -n, $envIngress).items).Count | Should -Be 0
    }

    It 'promotes the digest that runs on another cluster (-FromKubeConfig, -FromContext)' -ForEach $endpointOnly {
        # preprod on a second endpoint, a cluster of its own with its own kubeconfig.
        $other = Join-Path $dataRoot 'kubeconfig-preprod'
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $dataRoot 'kube-endpoint/DevOpsTools.KubeEndpoint.dll'), '--port', '0', '--kubeconfig-out', $other,
                '--pod-ready-seconds', '0.5', '--bookmark-seconds', '1')) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $second = [Diagnostics.Process]::Start($psi)
        try {
            $readLine = $second.StandardOutput.ReadLineAsync()
            $readLine.Wait([TimeSpan]::FromSeconds(60)) | Should -BeTrue
            $readLine.Result | Should -Match '^LISTENING https://127\.0\.0\.1:\d+/$'
            $envPre = "k8spp-$suffix"
            $pre = Deploy-App -Path $spec -Environment $envPre -Image $image2 -KubeConfig $other -TimeoutSec 120 -ErrorAction Stop
            $pre.Status | Should -Be 'Healthy'
            $pre.ImageDigest | Should -Match '^sha256:[0-9a-f]{64}$'
            # Not on the target's cluster: reading it there finds no source.
            { Deploy-App -Path $spec -Environment $envProd -FromEnvironment $envPre @k -TimeoutSec 120 -ErrorAction Stop } | Should -Throw -ErrorId 'PromotionSourceMissing*'

            $d = Deploy-App -Path $spec -Environment $envProd -FromEnvironment $envPre -FromKubeConfig $other @k -TimeoutSec 120 -ErrorAction Stop
            $d.Status | Should -Be 'Healthy'
            $d.ImageDigest | Should -Be $pre.ImageDigest
            (Get-Kube get, deploy, hello, -n, $envProd).spec.template.spec.containers[0].image | Should -Be "$image2@$($pre.ImageDigest)"

            # The same with one kubeconfig holding both clusters: -FromContext names preprod's.
            $both = Join-Path $dataRoot 'kubeconfig-both'
            $entries = foreach ($pair in @(@('prod', $kc), @('preprod', $other))) {
                $text = Get-Content -Raw $pair[1]
                $field = { param($name) [regex]::Match($text, "(?m)^\s*$($name): (\S+)").Groups[1].Value }
                @{ name = $pair[0]; server = & $field 'server'; ca = & $field 'certificate-authority-data'; token = & $field 'token' }
            }
            $yaml = @('apiVersion: v1', 'kind: Config', 'current-context: prod', 'clusters:')
            $yaml += $entries | ForEach-Object { "- name: $($_.name)", '  cluster:', "    server: $($_.server)", "    certificate-authority-data: $($_.ca)" }
            $yaml += 'users:'
            $yaml += $entries | ForEach-Object { "- name: $($_.name)", '  user:', "    token: $($_.token)" }
            $yaml += 'contexts:'
            $yaml += $entries | ForEach-Object { "- name: $($_.name)", '  context:', "    cluster: $($_.name)", "    user: $($_.name)" }
            $yaml | Set-Content $both
            $line = "Deploy-App -Path x -KubeConfig '$both' -FromContext "
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) | Should -Be @('preprod', 'prod')
            $again = Deploy-App -Path $spec -Environment $envProd -FromEnvironment $envPre -KubeConfig $both -FromContext preprod -TimeoutSec 120 -ErrorAction Stop
            $again.Target | Should -Be "prod/$envProd"
            $again.ImageDigest | Should -Be $pre.ImageDigest

            { Deploy-App -Path $spec -Environment $envProd -FromContext preprod -KubeConfig $both -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidParameter*'
        }
        finally {
            try { $second.StandardInput.Close() } catch { }
            if (-not $second.WaitForExit(20000)) { $second.Kill($true); $second.WaitForExit(10000) | Out-Null }
        }
    }

    It 'completes -Context from the kubeconfig''s contexts' {
        $contexts = @((Get-Kube config, view).contexts.name)
        $line = "Get-AppDeployment hello -KubeConfig '$kc' -Context "
        $completed = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        $completed | Should -Not -BeNullOrEmpty
        $completed | Should -Be @($contexts | Sort-Object)
    }

    It 'refuses a wrong token with KubernetesUnauthorized' -ForEach $endpointOnly {
        $wrong = Join-Path $dataRoot 'kubeconfig-wrong'
        (Get-Content -Raw $kc) -replace 'token: .*', 'token: not-the-token' | Set-Content $wrong
        { Get-AppDeployment hello -Environment $envTest -KubeConfig $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'KubernetesUnauthorized*'
    }

    It 'refuses -InCluster outside a pod with KubernetesConfigInvalid' -ForEach $endpointOnly {
        { Get-AppDeployment hello -Environment $envTest -InCluster -ErrorAction Stop } | Should -Throw -ErrorId 'KubernetesConfigInvalid*'
    }

    It 'removes only what it applied' {
        # Labelled like the app's objects but applied by kubectl: not the module's to delete.
        $other = Join-Path $dataRoot 'keep-me.json'
        @{ apiVersion = 'v1'; kind = 'ConfigMap'; data = @{ a = 'b' }
            metadata = @{ name = 'keep-me'; namespace = $envTest; labels = @{ 'app.kubernetes.io/name' = 'hello'; 'app.kubernetes.io/managed-by' = 'devopstools' } }
        } | ConvertTo-Json -Depth 5 | Set-Content $other
        $created = & $kubectl --kubeconfig $kc apply --server-side -f $other 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$created"
        $r = Remove-App hello -Environment $envTest @k -Force -ErrorAction Stop
        $r.Status | Should -Be 'Removed'
        @((Get-Kube get, deploy, -n, $envTest).items).Count | Should -Be 0
        @((Get-Kube get, configmap, keep-me, -n, $envTest)).Count | Should -Be 1
        @((Get-Kube get, pvc, -n, $envTest).items).Count | Should -Be 1 -Because 'volumes stay without -RemoveVolumes'
        { Get-AppDeployment hello -Environment $envTest @k -ErrorAction Stop } | Should -Throw -ErrorId 'AppNotFound*'
    }
}
