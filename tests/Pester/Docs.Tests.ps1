# The documentation is checked against the repository and the built module: paths the README and
# the examples name exist, the cmdlets the README lists are the ones the module exports, and the
# changelog has a section for the manifest's version.
BeforeDiscovery {
    $root = $env:DEVOPSTOOLS_REPO_ROOT
    $script:ExampleScripts = @(Get-ChildItem (Join-Path $root 'examples') -Filter *.ps1 | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    $script:Root = $env:DEVOPSTOOLS_REPO_ROOT
    Import-Module $env:DEVOPSTOOLS_TEST_MODULE -Force
    # Its helpers (Test-CredentialLane) are commands the README may name.
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Readme = Get-Content -Raw (Join-Path $Root 'README.md')
    $script:Manifest = Import-PowerShellDataFile (Join-Path $Root 'DevOpsTools.psd1')
    $script:Exported = @((Get-Command -Module DevOpsTools -CommandType Cmdlet).Name | Sort-Object)

    # A path from the repository root: a top-level folder and what follows, or a top-level file.
    # Not preceded by a path character, so ~/.ssh/..., <module>/podman/... and out/... are not taken.
    $script:RepoPath = '(?<![\w.$/<>~-])(?:\./)?((?:src|tests|examples|docs|bench|tools|\.ci)/[\w.*/-]*[\w*/]|(?:build\.ps1|DevOpsTools\.psd1|CHANGELOG\.md|BENCHMARKS\.md|README\.md|LICENSE)(?![\w.]))'

    # A ./path with a folder, run from the repository root, must start in one of its folders
    # (./environments/test.yaml does not; ./examples/... and the build's ./out/... do). A bare
    # ./file is the user's own (./setup.sh).
    $script:DotFolder = '(?<![\w.$/<>~-])\./([\w.-]+)/'

    function Get-RepoPath([string] $Text) {
        [regex]::Matches($Text, $RepoPath) | ForEach-Object { $_.Groups[1].Value.TrimEnd('/') } | Sort-Object -Unique
    }

    function Get-MissingPath([string[]] $Path, [string] $From = $Root) {
        foreach ($p in $Path) {
            if (-not (Test-Path -Path (Join-Path $From $p))) { $p }
        }
    }

    # README parts that are meant to be typed or clicked: fenced blocks, inline code, link targets.
    $script:ReadmeCode = @(
        [regex]::Matches($Readme, '(?ms)^```[^\n]*\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value }
        [regex]::Matches(([regex]::Replace($Readme, '(?ms)^```.*?^```', '')), '`([^`\n]+)`') | ForEach-Object { $_.Groups[1].Value }
    ) -join "`n"
    $script:ReadmeLinks = @([regex]::Matches($Readme, '\]\(([^)\s]+)\)') | ForEach-Object { $_.Groups[1].Value } |
            Where-Object { $_ -notmatch '^(https?:|mailto:|#)' } | ForEach-Object { ($_ -split '#')[0] } | Sort-Object -Unique)
}

Describe 'README' {
    It 'names only repository paths that exist, in its code and its links' {
        $paths = @(Get-RepoPath $ReadmeCode)
        $paths | Should -Contain 'examples/environments/test.yaml' -Because 'the pattern must find the paths the README shows'
        Get-MissingPath $paths | Should -BeNullOrEmpty
        $folders = @([regex]::Matches($ReadmeCode, $DotFolder) | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique)
        $folders | Should -Contain 'examples'
        Get-MissingPath $folders | Should -BeNullOrEmpty
        $ReadmeLinks | Should -Not -BeNullOrEmpty
        Get-MissingPath $ReadmeLinks | Should -BeNullOrEmpty
    }

    It 'lists exactly the cmdlets the built module exports, and the manifest declares them' {
        $section = [regex]::Match($Readme, '(?ms)^\| Cmdlet \| What it does \|\s*\n\|[-|]+\|\s*\n(.*?)(?:\n\n|\z)').Groups[1].Value
        $listed = @([regex]::Matches($section, '(?m)^\| `([A-Za-z]+-[A-Za-z]+)` \|') | ForEach-Object { $_.Groups[1].Value } | Sort-Object)
        $listed | Should -Not -BeNullOrEmpty -Because 'README.md has a "| Cmdlet | What it does |" table'
        $listed | Should -Be $Exported
        @($Manifest.CmdletsToExport | Sort-Object) | Should -Be $Exported
        @(Get-ChildItem (Join-Path $Root 'docs/cmdlets') -Filter *.md | ForEach-Object BaseName | Sort-Object) | Should -Be $Exported
    }

    It 'its test command is the one .ci/run runs' {
        $tests = [regex]::Match($Readme, '(?ms)^## Tests\s*\n+```sh\n(.*?)\n```').Groups[1].Value.Trim()
        $tests | Should -Match 'build\.ps1 -Task Test$'
        $ci = (Get-Content (Join-Path $Root '.ci/run') | Where-Object { $_ -match '^dotnet ' }) -replace ' -NoProfile', ''
        $ci | Should -Be $tests -Because '.ci/run must run exactly the README''s test command (-NoProfile aside)'
    }

    It 'names no command that does not exist' {
        # Verb-Noun words: ours must be exported, others must be commands PowerShell has.
        $verbs = (Get-Verb).Verb -join '|'
        # Not a file name (tools/New-MamlHelp.ps1).
        $named = [regex]::Matches($Readme, "(?<![\w/.-])(?:$verbs)-[A-Z][A-Za-z]+\b(?![.\w])") | ForEach-Object Value | Sort-Object -Unique
        $named | Should -Contain 'New-Server'
        $unknown = $named | Where-Object { $_ -notin $Exported -and -not (Get-Command $_ -ErrorAction SilentlyContinue) }
        $unknown | Should -BeNullOrEmpty
    }
}

Describe 'Manifest and changelog' {
    It 'the manifest names no capability the module does not ship' {
        $text = "$($Manifest.Description) $($Manifest.PrivateData.PSData.Tags -join ' ')"
        # Deployment to container hosts ships (Deploy-App), monitoring by active probes
        # (Get-ServiceStats); Kubernetes, Prometheus and SLOs are not named yet.
        $text | Should -Not -Match 'Kubernetes|Prometheus|SLO'
        if ($text -match 'Monitoring') { $Exported | Should -Contain 'Get-ServiceStats' }
        if ($text -match 'Deploy') { $Exported | Should -Contain 'Deploy-App' }
    }

    It 'CHANGELOG.md has an Unreleased section and a dated section for the manifest version' {
        $changelog = Get-Content -Raw (Join-Path $Root 'CHANGELOG.md')
        $changelog | Should -Match '(?m)^## \[Unreleased\]$'
        $changelog | Should -Match "(?m)^## \[$([regex]::Escape($Manifest.ModuleVersion))\] - \d{4}-\d{2}-\d{2}$"
        $Manifest.PrivateData.PSData.ReleaseNotes | Should -Match 'CHANGELOG\.md'
    }
}

Describe 'examples/<Name>' -ForEach $ExampleScripts {
    BeforeAll {
        $script:File = Join-Path $Root "examples/$Name"
        $script:Text = Get-Content -Raw $File
    }

    It 'names only repository paths that exist' {
        Get-MissingPath @(Get-RepoPath $Text) | Should -BeNullOrEmpty
        # Paths the script builds from its own folder (build output under out/ exists only after a build).
        $own = @([regex]::Matches($Text, "Join-Path \`$PSScriptRoot '([^']+)'") | ForEach-Object { $_.Groups[1].Value } | Where-Object { $_ -notlike '../out/*' })
        Get-MissingPath $own -From (Join-Path $Root 'examples') | Should -BeNullOrEmpty
    }

    It 'its help examples, run from the repository root, pass files that exist' {
        $lines = @([regex]::Matches($Text, '(?m)^\s*(\./examples/\S+\.ps1\b.*)$') | ForEach-Object { $_.Groups[1].Value })
        $lines | Should -Not -BeNullOrEmpty -Because 'each example documents how to run it'
        foreach ($line in $lines) {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($line, [ref]$null, [ref]$null)
            $command = $ast.Find({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)
            $files = $command.CommandElements | Select-Object -Skip 1 |
                Where-Object { $_ -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $_.Value -match '\.(ps1|psd1|ya?ml|json)$' } |
                ForEach-Object Value
            foreach ($f in $files) {
                Test-Path (Join-Path $Root $f) | Should -BeTrue -Because "'$line' passes $f"
            }
        }
    }
}
