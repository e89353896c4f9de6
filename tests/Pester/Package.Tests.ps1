# The module installs like a Gallery module: build.ps1 -Task Package makes a .nupkg that
# PSResourceGet publishes to and installs from a local folder repository.
BeforeAll {
    $script:Root = $env:DEVOPSTOOLS_REPO_ROOT
    $script:Version = (Import-PowerShellDataFile $env:DEVOPSTOOLS_TEST_MODULE).ModuleVersion
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:Work = New-TestTempDirectory -Prefix 'dot-pkg'
    $script:RepoName = "DevOpsToolsTest$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path "$Work/repo", "$Work/modules" | Out-Null
}

AfterAll {
    Unregister-PSResourceRepository -Name $RepoName -ErrorAction SilentlyContinue
    Remove-TestTempDirectory $Work
}

Describe 'Packaging' {
    It 'builds a nupkg that installs from a local repository and imports' {
        & ((Join-Path $PSHOME ($IsWindows ? "pwsh.exe" : "pwsh"))) -NoProfile -File (Join-Path $Root 'build.ps1') -Task Package | Out-Null
        $LASTEXITCODE | Should -Be 0
        $nupkg = Join-Path $Root "out/packages/DevOpsTools.$Version.nupkg"
        Test-Path $nupkg | Should -BeTrue

        Copy-Item $nupkg "$Work/repo/"
        Register-PSResourceRepository -Name $RepoName -Uri "$Work/repo" -Trusted
        $found = Find-PSResource -Name DevOpsTools -Repository $RepoName
        $found.Version.ToString() | Should -Be $Version

        Save-PSResource -Name DevOpsTools -Repository $RepoName -Path "$Work/modules" -TrustRepository -SkipDependencyCheck
        $installed = Join-Path $Work "modules/DevOpsTools/$Version/DevOpsTools.psd1"
        Test-Path $installed | Should -BeTrue
        Test-Path (Join-Path $Work "modules/DevOpsTools/$Version/Dependencies/DevOpsTools.Engine.dll") | Should -BeTrue

        # Import the installed copy by name through PSModulePath in a fresh process.
        $child = & ((Join-Path $PSHOME ($IsWindows ? "pwsh.exe" : "pwsh"))) -NoProfile -Command "`$env:PSModulePath = '$Work/modules'; Import-Module DevOpsTools -ErrorAction Stop; (Get-Module DevOpsTools).ModuleBase; (Get-Command -Module DevOpsTools).Count"
        $LASTEXITCODE | Should -Be 0
        $child[0] | Should -Be (Split-Path $installed)
        [int]$child[1] | Should -BeGreaterThan 0
    }
}
