# Reads the per-test results of Pester and xunit and decides whether a test run passed.
#
# A run passes only when every test that was selected ran: a skipped test is allowed only when
# it belongs to a credential lane (tests/credential-lanes.json) that is off, and every suite
# (Pester file, xunit class, xunit project) ran at least one test. A developer's inner loop may
# allow other skips (build.ps1 -AllowSkip); CI never does. build.ps1 and tests/Invoke-PesterSuite.ps1
# use this module; tests/Pester/TestResults.Tests.ps1 proves it on crafted results.

$script:LanesFile = Join-Path $PSScriptRoot 'credential-lanes.json'

function Get-CredentialLane {
    <# The credential lanes, each with Enabled: its variable is set to something other than '' or '0'. #>
    [CmdletBinding()]
    param([string] $Name, [string] $Path = $script:LanesFile)
    $lanes = (Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json).lanes
    foreach ($lane in $lanes) {
        if ($Name -and $lane.name -ne $Name) { continue }
        $value = [Environment]::GetEnvironmentVariable($lane.variable)
        [pscustomobject]@{
            Name     = [string]$lane.name
            Variable = [string]$lane.variable
            Needs    = [string]$lane.needs
            Enabled  = -not [string]::IsNullOrEmpty($value) -and $value -ne '0'
        }
    }
    if ($Name -and -not ($lanes | Where-Object name -eq $Name)) {
        throw "Unknown credential lane '$Name'; the lanes are $(($lanes.name) -join ', ') ($Path)."
    }
}

function New-TestRecord {
    param([string] $Framework, [string] $Suite, [string] $Name, [string] $Outcome, [string[]] $Tags = @(), [string] $Reason, [bool] $Selected = $true)
    [pscustomobject]@{ Framework = $Framework; Suite = $Suite; Name = $Name; Outcome = $Outcome; Tags = @($Tags); Reason = $Reason; Selected = $Selected }
}

function ConvertFrom-PesterResult {
    <#
    .SYNOPSIS
        Per-test records from Pester's run object (Invoke-Pester -PassThru).
    .DESCRIPTION
        One suite per file (container), with a container error when the file did not load; one test
        record per It, its tags merged with those of every Describe/Context around it. A block whose
        BeforeAll/AfterAll failed while none of its tests failed becomes a failed record of its own.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Result, [string] $Root)
    function Get-SuiteName([string] $path) {
        if ($Root -and $path.StartsWith($Root, [StringComparison]::Ordinal)) { return $path.Substring($Root.Length).TrimStart('/', '\').Replace('\', '/') }
        $path
    }
    # FailedContainers: the files that did not load (syntax error, a throw during discovery).
    $broken = @($Result.FailedContainers | ForEach-Object { [string]$_.Item })
    $suites = foreach ($container in $Result.Containers) {
        $firstError = $container.ErrorRecord | Select-Object -First 1
        [pscustomobject]@{
            Framework = 'Pester'
            Name      = Get-SuiteName ([string]$container.Item)
            Error     = if ([string]$container.Item -in $broken) { $firstError ? $firstError.ToString() : 'the file did not load' } else { $null }
        }
    }
    $tests = foreach ($test in $Result.Tests) {
        $tags = [Collections.Generic.List[string]]::new()
        foreach ($t in @($test.Tag)) { if ($t) { $tags.Add($t) } }
        for ($block = $test.Block; $block -and -not $block.IsRoot; $block = $block.Parent) {
            foreach ($t in @($block.Tag)) { if ($t) { $tags.Add($t) } }
        }
        $reason = if ($test.Result -ne 'Passed' -and $test.ErrorRecord) { ($test.ErrorRecord | Select-Object -First 1).ToString() } else { $null }
        New-TestRecord -Framework Pester -Suite (Get-SuiteName ([string]$test.Block.BlockContainer.Item)) -Name $test.ExpandedPath `
            -Outcome $test.Result -Tags $tags -Reason $reason -Selected ([bool]$test.ShouldRun)
    }
    $blocks = foreach ($block in $Result.FailedBlocks) {
        $hasFailedTest = @($Result.Tests | Where-Object { $_.Result -eq 'Failed' -and $_.ExpandedPath.StartsWith($block.ExpandedPath + '.', [StringComparison]::Ordinal) }).Count -gt 0
        if (-not $hasFailedTest) {
            New-TestRecord -Framework Pester -Suite (Get-SuiteName ([string]$block.BlockContainer.Item)) -Name "$($block.ExpandedPath) (setup or teardown)" `
                -Outcome Failed -Reason (($block.ErrorRecord | Select-Object -First 1) -as [string])
        }
    }
    [pscustomobject]@{ Suites = @($suites); Tests = @($tests) + @($blocks) }
}

function ConvertFrom-TrxFile {
    <#
    .SYNOPSIS
        Per-test records from a VSTest .trx file written by dotnet test (xunit).
    .DESCRIPTION
        One suite per test class; one record per result, with the skip reason (xunit writes it as the
        ErrorInfo message of a NotExecuted result). The project (the file's name) is a suite too when
        its run did not complete (aborted, test host crashed: a suite error) or found no test.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)
    $project = [IO.Path]::GetFileNameWithoutExtension($Path)
    $xml = [xml](Get-Content -Raw -LiteralPath $Path)
    $ns = [Xml.XmlNamespaceManager]::new($xml.NameTable)
    $ns.AddNamespace('t', 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010')
    $classOf = @{}
    foreach ($unitTest in $xml.SelectNodes('//t:TestDefinitions/t:UnitTest', $ns)) {
        $classOf[$unitTest.id] = $unitTest.SelectSingleNode('t:TestMethod', $ns).className
    }
    $tests = foreach ($result in $xml.SelectNodes('//t:Results/t:UnitTestResult', $ns)) {
        $outcome = switch ($result.outcome) {
            'Passed' { 'Passed' }
            'NotExecuted' { 'Skipped' }
            default { 'Failed' }   # Failed, Error, Timeout, Aborted, Inconclusive, NotRunnable, ...
        }
        $message = $result.SelectSingleNode('t:Output/t:ErrorInfo/t:Message', $ns)
        $class = $classOf[$result.testId]
        if (-not $class) { $class = $project }
        New-TestRecord -Framework xunit -Suite $class -Name $result.testName -Outcome $outcome -Reason ($message ? $message.InnerText.Trim() : $null)
    }
    $suites = @($classOf.Values | Sort-Object -Unique | ForEach-Object { [pscustomobject]@{ Framework = 'xunit'; Name = $_; Error = $null } })
    # The project is a suite of its own when its run broke off or found no test at all.
    $runOutcome = $xml.SelectSingleNode('//t:ResultSummary', $ns).outcome
    if ($runOutcome -notin 'Completed', 'Passed', 'Failed', 'Warning') {
        $suites += [pscustomobject]@{ Framework = 'xunit'; Name = $project; Error = "the test run did not complete (outcome $runOutcome)" }
    }
    elseif (@($tests).Count -eq 0) {
        $suites += [pscustomobject]@{ Framework = 'xunit'; Name = $project; Error = $null }
    }
    [pscustomobject]@{ Suites = $suites; Tests = @($tests) }
}

function Get-LaneOfSkip {
    <# The credential lane a skipped test belongs to: a Pester tag named after the lane, or an xunit skip reason starting with "[Lane]". #>
    param($Test, $Lanes)
    foreach ($lane in $Lanes) {
        if ($Test.Framework -eq 'Pester' -and ($Test.Tags -contains $lane.Name)) { return $lane }
        if ($Test.Reason -and $Test.Reason.StartsWith("[$($lane.Name)]", [StringComparison]::Ordinal)) { return $lane }
    }
}

function Measure-TestOutcome {
    <#
    .SYNOPSIS
        Counts passed, failed and (credential-lane) skipped tests, and names every problem.
    .DESCRIPTION
        Problems, each counted as one failure: a failed test, a skip outside a credential lane that is off (unless
        -AllowSkip), a credential-lane skip while that lane is on, a selected test that did not run,
        a suite that did not load, and a suite that ran no test at all (unless -AllowSkip). Tests a
        tag filter left out are not counted. Skipped counts credential-lane skips (and, with
        -AllowSkip, the other skips).
    #>
    [CmdletBinding()]
    param(
        [object[]] $Suites = @(),
        [object[]] $Tests = @(),
        [object[]] $Lanes = @(Get-CredentialLane),
        [switch] $AllowSkip
    )
    $passed = 0; $failed = 0; $skipped = 0
    $problems = [Collections.Generic.List[string]]::new()
    $notices = [Collections.Generic.List[string]]::new()
    $ranBySuite = @{}; $selectedBySuite = @{}
    foreach ($test in $Tests) {
        $key = "$($test.Framework)|$($test.Suite)"
        if (-not $test.Selected -and $test.Outcome -eq 'NotRun') { continue }   # left out by a tag filter
        $selectedBySuite[$key] = $true
        switch ($test.Outcome) {
            'Passed' { $passed++; $ranBySuite[$key] = $true }
            'Failed' {
                $failed++; $ranBySuite[$key] = $true
                $problems.Add("failed: $($test.Suite): $($test.Name)")
            }
            'Skipped' {
                $lane = Get-LaneOfSkip $test $Lanes
                if ($lane -and -not $lane.Enabled) {
                    $skipped++; $ranBySuite[$key] = $true
                    $notices.Add("skipped (credential lane $($lane.Name) is off; set $($lane.Variable)): $($test.Suite): $($test.Name)")
                }
                elseif ($lane) {
                    $failed++
                    $problems.Add("skipped although credential lane $($lane.Name) is on ($($lane.Variable) is set): $($test.Suite): $($test.Name)")
                }
                elseif ($AllowSkip) {
                    $skipped++; $ranBySuite[$key] = $true
                    $notices.Add("skipped (allowed by -AllowSkip; CI fails on it): $($test.Suite): $($test.Name)$(if ($test.Reason) { " ($($test.Reason))" })")
                }
                else {
                    $failed++
                    $problems.Add("skipped, and not a credential lane: $($test.Suite): $($test.Name)$(if ($test.Reason) { " ($($test.Reason))" })")
                }
            }
            default {
                $failed++
                $problems.Add("did not run ($($test.Outcome)): $($test.Suite): $($test.Name)")
            }
        }
    }
    foreach ($suite in $Suites) {
        $key = "$($suite.Framework)|$($suite.Name)"
        if ($suite.Error) {
            $failed++
            $problems.Add("suite failed: $($suite.Name): $($suite.Error)")
        }
        elseif (-not $ranBySuite[$key]) {
            $hasTests = @($Tests | Where-Object { $_.Framework -eq $suite.Framework -and $_.Suite -eq $suite.Name }).Count -gt 0
            if ($hasTests -and -not $selectedBySuite[$key]) { continue }   # every test left out by a tag filter
            # A suite whose every test was skipped is already named test by test.
            $allSkipped = $hasTests -and @($Tests | Where-Object { $_.Framework -eq $suite.Framework -and $_.Suite -eq $suite.Name -and $_.Outcome -ne 'Skipped' }).Count -eq 0
            if ($allSkipped) { continue }
            if ($AllowSkip) { $notices.Add("ran no tests (allowed by -AllowSkip; CI fails on it): $($suite.Name)") }
            else { $failed++; $problems.Add("ran no tests: $($suite.Name)") }
        }
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed; Skipped = $skipped; Problems = @($problems); Notices = @($notices) }
}

function Format-TestOutcome {
    <# The lines build.ps1 prints: notices, problems, and last "N passed, N failed, N skipped". #>
    param([Parameter(Mandatory)] $Outcome)
    foreach ($n in $Outcome.Notices) { "NOTE  $n" }
    foreach ($p in $Outcome.Problems) { "FAIL  $p" }
    '{0} passed, {1} failed, {2} skipped' -f $Outcome.Passed, $Outcome.Failed, $Outcome.Skipped
}

Export-ModuleMember -Function Get-CredentialLane, ConvertFrom-PesterResult, ConvertFrom-TrxFile, Measure-TestOutcome, Format-TestOutcome
