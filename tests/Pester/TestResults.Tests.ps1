# The fail-on-skip rule of build.ps1 -Task Test (tests/TestResults.psm1), proved on crafted
# results: real Pester runs of crafted test files through tests/Invoke-PesterSuite.ps1 (the
# runner CI uses), and .trx files shaped like the ones dotnet test writes for xunit.
BeforeAll {
    Import-Module (Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'tests/TestResults.psm1') -Force
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Runner = Join-Path $env:DEVOPSTOOLS_REPO_ROOT 'tests/Invoke-PesterSuite.ps1'
    # Both lanes off, whatever the machine running these tests has set.
    $script:Lanes = @(Get-CredentialLane | ForEach-Object { $_.Enabled = $false; $_ })
    $script:Files = Join-Path $TestDrive 'crafted'
    New-Item -ItemType Directory -Force $Files | Out-Null

    Set-Content (Join-Path $Files 'Lane.Tests.ps1') @'
Describe 'Cluster' -Tag 'RealCluster' -Skip:(-not $env:DEVOPSTOOLS_TEST_KUBECONFIG) {
    It 'lists the nodes' { $true | Should -BeTrue }
}
Describe 'Local' {
    It 'adds' { 1 + 1 | Should -Be 2 }
}
'@
    Set-Content (Join-Path $Files 'OtherSkip.Tests.ps1') @'
Describe 'Podman servers' -Tag 'Podman' {
    It 'starts a server' -Skip { $true | Should -BeTrue }
    It 'parses a name' { 'a-b' | Should -Match '-' }
}
'@
    Set-Content (Join-Path $Files 'Empty.Tests.ps1') @'
if (Get-Command no-such-tool -ErrorAction SilentlyContinue) {
    Describe 'Never discovered' { It 'would run' { $true | Should -BeTrue } }
}
'@
    Set-Content (Join-Path $Files 'Broken.Tests.ps1') "Describe 'Broken' { It 'x' {"

    function Invoke-CraftedPester {
        <# Runs crafted files with the CI runner in a child pwsh (lanes off); returns its records. #>
        param([string[]] $Name, [string[]] $Tag)
        $summary = Join-Path $TestDrive "summary-$([guid]::NewGuid().ToString('N')).json"
        $paths = ($Name | ForEach-Object { Join-Path $Files $_ }) -join ';'
        $arguments = @('-NoProfile', '-NonInteractive', '-File', $Runner, '-ModuleManifest', $env:DEVOPSTOOLS_TEST_MODULE, '-SummaryPath', $summary, '-Path', $paths)
        if ($Tag) { $arguments += @('-Tag', ($Tag -join ';')) }
        $saved = $env:DEVOPSTOOLS_TEST_KUBECONFIG
        $env:DEVOPSTOOLS_TEST_KUBECONFIG = $null
        try { $output = & $Pwsh @arguments 2>&1 | Out-String }
        finally { $env:DEVOPSTOOLS_TEST_KUBECONFIG = $saved }
        Test-Path $summary | Should -BeTrue -Because $output
        Get-Content -Raw $summary | ConvertFrom-Json
    }

    # One real run of all crafted files (a child pwsh costs seconds); each test looks at its files.
    $script:AllRun = Invoke-CraftedPester -Name 'Lane.Tests.ps1', 'OtherSkip.Tests.ps1', 'Empty.Tests.ps1', 'Broken.Tests.ps1'
    function Select-CraftedRun {
        param([string[]] $Name)
        $paths = $Name | ForEach-Object { Join-Path $Files $_ }
        [pscustomobject]@{ Suites = @($AllRun.Suites | Where-Object Name -in $paths); Tests = @($AllRun.Tests | Where-Object Suite -in $paths) }
    }

    function New-Trx {
        <# A .trx as dotnet test writes it for xunit: definitions with class names, results with outcomes and skip messages. #>
        param([string] $Name, [object[]] $Results = @(), [string] $RunOutcome = 'Completed')
        $definitions = $Results | ForEach-Object {
            "<UnitTest name=`"$($_.Class).$($_.Method)`" id=`"$($_.Id)`"><Execution id=`"$([guid]::NewGuid())`" /><TestMethod codeBase=`"/x/$Name.dll`" adapterTypeName=`"executor://xunit/VsTestRunner3/netcore/`" className=`"$($_.Class)`" name=`"$($_.Method)`" /></UnitTest>"
        }
        $runs = $Results | ForEach-Object {
            $info = if ($_.Message) { "<Output><ErrorInfo><Message>$([Security.SecurityElement]::Escape($_.Message))</Message></ErrorInfo></Output>" } else { '' }
            "<UnitTestResult executionId=`"$([guid]::NewGuid())`" testId=`"$($_.Id)`" testName=`"$($_.Class).$($_.Method)`" computerName=`"vm`" duration=`"00:00:00.01`" outcome=`"$($_.Outcome)`" testListId=`"8c84fa94-04c1-424b-9868-57a2d4851a1d`">$info</UnitTestResult>"
        }
        $path = Join-Path $TestDrive "$Name.trx"
        Set-Content -Path $path -Value @"
<?xml version="1.0" encoding="utf-8"?>
<TestRun id="$([guid]::NewGuid())" name="crafted" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
  <Results>$($runs -join "`n")</Results>
  <TestDefinitions>$($definitions -join "`n")</TestDefinitions>
  <ResultSummary outcome="$RunOutcome"><Counters total="$(@($Results).Count)" /></ResultSummary>
</TestRun>
"@
        $path
    }

    function New-TrxResult([string] $Class, [string] $Method, [string] $Outcome = 'Passed', [string] $Message) {
        [pscustomobject]@{ Class = $Class; Method = $Method; Outcome = $Outcome; Message = $Message; Id = [guid]::NewGuid() }
    }
}

Describe 'Credential lanes' {
    It 'are read from tests/credential-lanes.json with their variables' {
        $lanes = Get-CredentialLane
        $lanes.Name | Should -Be @('RealAws', 'RealCluster')
        (Get-CredentialLane -Name RealAws).Variable | Should -Be 'DEVOPSTOOLS_TEST_AWS'
        (Get-CredentialLane -Name RealCluster).Variable | Should -Be 'DEVOPSTOOLS_TEST_KUBECONFIG'
        { Get-CredentialLane -Name RealGcp } | Should -Throw "*Unknown credential lane 'RealGcp'*RealAws, RealCluster*"
    }

    It 'is on when its variable is set to anything but empty or 0' {
        $saved = $env:DEVOPSTOOLS_TEST_AWS
        try {
            $env:DEVOPSTOOLS_TEST_AWS = '1'; (Get-CredentialLane -Name RealAws).Enabled | Should -BeTrue
            $env:DEVOPSTOOLS_TEST_AWS = '0'; (Get-CredentialLane -Name RealAws).Enabled | Should -BeFalse
            $env:DEVOPSTOOLS_TEST_AWS = $null; (Get-CredentialLane -Name RealAws).Enabled | Should -BeFalse
        }
        finally { $env:DEVOPSTOOLS_TEST_AWS = $saved }
    }
}

Describe 'Pester results' {
    It 'a skip in a credential lane that is off passes and is the only skip counted' {
        $run = Select-CraftedRun -Name 'Lane.Tests.ps1'
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Problems | Should -BeNullOrEmpty
        $outcome.Passed | Should -Be 1
        $outcome.Failed | Should -Be 0
        $outcome.Skipped | Should -Be 1
        $outcome.Notices | Should -Be @("skipped (credential lane RealCluster is off; set DEVOPSTOOLS_TEST_KUBECONFIG): $((Join-Path $Files 'Lane.Tests.ps1')): Cluster.lists the nodes")
        (Format-TestOutcome $outcome)[-1] | Should -Be '1 passed, 0 failed, 1 skipped'
    }

    It 'a credential-lane skip while that lane is on fails' {
        $run = Select-CraftedRun -Name 'Lane.Tests.ps1'
        $on = @($Lanes | ForEach-Object { $l = $_.PSObject.Copy(); $l.Enabled = $l.Name -eq 'RealCluster'; $l })
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $on
        $outcome.Failed | Should -Be 1
        $outcome.Problems | Should -Be @("skipped although credential lane RealCluster is on (DEVOPSTOOLS_TEST_KUBECONFIG is set): $((Join-Path $Files 'Lane.Tests.ps1')): Cluster.lists the nodes")
    }

    It 'any other skip fails and is named; -AllowSkip reports it and passes' {
        $run = Select-CraftedRun -Name 'OtherSkip.Tests.ps1'
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Passed | Should -Be 1
        $outcome.Failed | Should -Be 1
        $outcome.Skipped | Should -Be 0
        $outcome.Problems | Should -Be @("skipped, and not a credential lane: $((Join-Path $Files 'OtherSkip.Tests.ps1')): Podman servers.starts a server")
        (Format-TestOutcome $outcome) | Should -Be @("FAIL  $($outcome.Problems[0])", '1 passed, 1 failed, 0 skipped')

        $inner = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes -AllowSkip
        $inner.Failed | Should -Be 0
        $inner.Skipped | Should -Be 1
        $inner.Notices | Should -BeLike '*allowed by -AllowSkip*Podman servers.starts a server*'
    }

    It 'a file that ran no test fails and is named' {
        $run = Select-CraftedRun -Name 'Empty.Tests.ps1', 'Lane.Tests.ps1'
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Problems | Should -Be @("ran no tests: $((Join-Path $Files 'Empty.Tests.ps1'))")
        $outcome.Failed | Should -Be 1
        (Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes -AllowSkip).Failed | Should -Be 0
    }

    It 'a file that does not load fails and is named' {
        $run = Select-CraftedRun -Name 'Broken.Tests.ps1'
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes -AllowSkip
        $outcome.Failed | Should -Be 1
        $outcome.Problems | Should -BeLike "suite failed: $((Join-Path $Files 'Broken.Tests.ps1')): *Missing closing*"
    }

    It 'tests a tag filter leaves out are not counted, and their files are not empty suites' {
        $run = Invoke-CraftedPester -Name 'OtherSkip.Tests.ps1', 'Lane.Tests.ps1' -Tag 'RealCluster'
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Problems | Should -BeNullOrEmpty
        $outcome.Passed | Should -Be 0
        $outcome.Skipped | Should -Be 1
    }
}

Describe 'xunit results (.trx)' {
    It 'a skip whose reason starts with [Lane] passes; another skip fails with its name and reason' {
        $trx = New-Trx -Name 'Crafted.Tests' -Results @(
            New-TrxResult 'Crafted.Tests.EksTests' 'Creates_a_deployment' 'NotExecuted' '[RealCluster] credential lane off: set DEVOPSTOOLS_TEST_KUBECONFIG'
            New-TrxResult 'Crafted.Tests.EksTests' 'Parses_a_manifest'
            New-TrxResult 'Crafted.Tests.PodmanTests' 'Starts_a_container' 'NotExecuted' 'podman is not installed'
            New-TrxResult 'Crafted.Tests.PodmanTests' 'Fails' 'Failed' 'Assert.Equal() Failure')
        $run = ConvertFrom-TrxFile -Path $trx
        $run.Suites.Name | Should -Be @('Crafted.Tests.EksTests', 'Crafted.Tests.PodmanTests')
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Passed | Should -Be 1
        $outcome.Skipped | Should -Be 1
        $outcome.Failed | Should -Be 2
        $outcome.Problems | Should -Be @(
            'skipped, and not a credential lane: Crafted.Tests.PodmanTests: Crafted.Tests.PodmanTests.Starts_a_container (podman is not installed)'
            'failed: Crafted.Tests.PodmanTests: Crafted.Tests.PodmanTests.Fails')
    }

    It 'a class whose every test is skipped outside a lane fails test by test' {
        $trx = New-Trx -Name 'AllSkipped.Tests' -Results @(
            New-TrxResult 'A.PodmanBackingTests' 'One' 'NotExecuted' 'podman image is not present'
            New-TrxResult 'A.PodmanBackingTests' 'Two' 'NotExecuted' 'podman image is not present')
        $run = ConvertFrom-TrxFile -Path $trx
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Failed | Should -Be 2
        $outcome.Problems.Count | Should -Be 2
        $outcome.Problems | Should -BeLike 'skipped, and not a credential lane: A.PodmanBackingTests: A.PodmanBackingTests.*'
    }

    It 'a project that ran no test fails and is named' {
        $run = ConvertFrom-TrxFile -Path (New-Trx -Name 'Nothing.Tests')
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Failed | Should -Be 1
        $outcome.Problems | Should -Be @('ran no tests: Nothing.Tests')
    }

    It 'a run the test host did not complete fails even when its tests passed' {
        $run = ConvertFrom-TrxFile -Path (New-Trx -Name 'Crashed.Tests' -Results @(New-TrxResult 'C.Tests' 'Ok') -RunOutcome 'Aborted')
        $outcome = Measure-TestOutcome -Suites $run.Suites -Tests $run.Tests -Lanes $Lanes
        $outcome.Passed | Should -Be 1
        $outcome.Problems | Should -Be @('suite failed: Crashed.Tests: the test run did not complete (outcome Aborted)')
    }

    It 'Pester and xunit results add up to one line' {
        $pester = Select-CraftedRun -Name 'Lane.Tests.ps1'
        $xunit = ConvertFrom-TrxFile -Path (New-Trx -Name 'Two.Tests' -Results @(New-TrxResult 'T.A' 'One'; New-TrxResult 'T.A' 'Two'))
        $outcome = Measure-TestOutcome -Suites @($pester.Suites + $xunit.Suites) -Tests @($pester.Tests + $xunit.Tests) -Lanes $Lanes
        Format-TestOutcome $outcome | Select-Object -Last 1 | Should -Be '3 passed, 0 failed, 1 skipped'
    }
}
