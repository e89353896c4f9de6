<#
.SYNOPSIS
    Generates the module's MAML help (en-US/DevOpsTools.dll-Help.xml) from docs/cmdlets/*.md.
.DESCRIPTION
    The Markdown files hold what people write (synopsis, description, examples, parameter
    descriptions, notes, links; platyPS's layout). Syntax, parameter types, positions,
    pipeline binding and aliases come from the built cmdlets themselves, so help never
    disagrees with the code. A missing file or section is left empty and reported; the help
    tests fail on it.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$module = Import-Module $ModuleManifest -PassThru -Force
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

function Read-HelpMarkdown([string] $file) {
    $doc = @{ Synopsis = ''; Description = ''; Examples = @(); Parameters = @{}; Inputs = @(); Outputs = @(); Notes = ''; Links = @() }
    if (-not (Test-Path $file)) { Write-Warning "No help file $file"; return $doc }
    $section = $null; $sub = $null; $buffer = [System.Collections.Generic.List[string]]::new()
    $flush = {
        $text = ($buffer -join "`n").Trim()
        switch ($section) {
            'SYNOPSIS' { $doc.Synopsis = $text }
            'DESCRIPTION' { $doc.Description = $text }
            'NOTES' { $doc.Notes = $text }
            'EXAMPLES' {
                if ($sub) {
                    $m = [regex]::Match($text, '(?s)^```[a-zA-Z]*\n(.*?)\n```\s*(.*)$')
                    if ($m.Success) { $code = $m.Groups[1].Value; $remarks = $m.Groups[2].Value.Trim() } else { $code = ''; $remarks = $text }
                    $doc.Examples += [pscustomobject]@{ Title = $sub; Code = $code; Remarks = $remarks }
                }
            }
            'PARAMETERS' { if ($sub) { $doc.Parameters[$sub.TrimStart('-')] = $text } }
            'INPUTS' { if ($sub) { $doc.Inputs += [pscustomobject]@{ Type = $sub; Text = $text } } }
            'OUTPUTS' { if ($sub) { $doc.Outputs += [pscustomobject]@{ Type = $sub; Text = $text } } }
            'RELATED LINKS' {
                foreach ($l in [regex]::Matches($text, '\[([^\]]+)\]\(([^)]*)\)')) { $doc.Links += [pscustomobject]@{ Text = $l.Groups[1].Value; Uri = $l.Groups[2].Value } }
            }
        }
        $buffer.Clear()
    }
    $inFence = $false; $inFront = $false; $lineNo = 0
    foreach ($line in Get-Content $file) {
        $lineNo++
        if ($lineNo -eq 1 -and $line -eq '---') { $inFront = $true; continue }
        if ($inFront) { if ($line -eq '---') { $inFront = $false }; continue }
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; continue }
        if (-not $inFence -and $line -match '^### (.+)$') { & $flush; $sub = $Matches[1].Trim(); continue }
        if (-not $inFence -and $line -match '^# ') { continue }
        $buffer.Add($line)
    }
    & $flush
    return $doc
}

$ns = @{
    maml = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)

function Para([string] $text) {
    foreach ($p in ($text -split "\n\s*\n")) {
        if ($p.Trim()) { $writer.WriteElementString('maml', 'para', $ns.maml, ($p.Trim() -replace '\s*\n\s*', ' ')) }
    }
}

function Write-Parameter($p, [string] $setName, [hashtable] $doc, [switch] $InSyntax) {
    $attr = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ParameterSetName -eq $setName -or $_.ParameterSetName -eq '__AllParameterSets') } | Select-Object -First 1
    if (-not $attr) { $attr = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | Select-Object -First 1 }
    $pipeline = @()
    if ($attr.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($attr.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $pipelineText = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
    $isSwitch = $p.ParameterType -eq [switch]
    $writer.WriteStartElement('command', 'parameter', $ns.command)
    $writer.WriteAttributeString('required', "$($attr.Mandatory)".ToLowerInvariant())
    $writer.WriteAttributeString('variableLength', 'true')
    $globbing = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $writer.WriteAttributeString('globbing', "$globbing".ToLowerInvariant())
    $writer.WriteAttributeString('pipelineInput', $pipelineText)
    $writer.WriteAttributeString('position', $(if ($attr.Position -ge 0) { "$($attr.Position)" } else { 'named' }))
    $writer.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $ns.maml, $p.Name)
    $writer.WriteStartElement('maml', 'description', $ns.maml); Para ($doc.Parameters[$p.Name]); $writer.WriteEndElement()
    $validSet = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($validSet -and $InSyntax) {
        $writer.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($v in $validSet.ValidValues) {
            $writer.WriteStartElement('command', 'parameterValue', $ns.command); $writer.WriteAttributeString('required', 'false'); $writer.WriteAttributeString('variableLength', 'false'); $writer.WriteString($v); $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    elseif (-not $isSwitch) {
        $writer.WriteStartElement('command', 'parameterValue', $ns.command)
        $writer.WriteAttributeString('required', 'true'); $writer.WriteAttributeString('variableLength', 'false')
        $writer.WriteString($p.ParameterType.Name); $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $ns.dev); $writer.WriteElementString('maml', 'name', $ns.maml, $p.ParameterType.FullName); $writer.WriteEndElement()
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems'); $writer.WriteAttributeString('schema', 'maml')
$writer.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
$writer.WriteAttributeString('xmlns', 'command', $null, $ns.command)
$writer.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

foreach ($cmd in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $doc = Read-HelpMarkdown (Join-Path $DocsPath "$($cmd.Name).md")
    $writer.WriteStartElement('command', 'command', $ns.command)
    $writer.WriteStartElement('command', 'details', $ns.command)
    $writer.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $writer.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $writer.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    $writer.WriteStartElement('maml', 'description', $ns.maml); Para $doc.Synopsis; $writer.WriteEndElement()
    $writer.WriteEndElement()
    $writer.WriteStartElement('maml', 'description', $ns.maml); Para $doc.Description; $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $ns.command)
        $writer.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($p in $set.Parameters | Where-Object Name -notin $common) {
            Write-Parameter $cmd.Parameters[$p.Name] $set.Name $doc -InSyntax
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $cmd.Parameters.Values | Where-Object Name -notin $common | Sort-Object Name) {
        Write-Parameter $p $null $doc
    }
    $writer.WriteEndElement()

    foreach ($kind in @(@{ Element = 'inputTypes'; Item = 'inputType'; Items = $doc.Inputs }, @{ Element = 'returnValues'; Item = 'returnValue'; Items = $doc.Outputs })) {
        $writer.WriteStartElement('command', $kind.Element, $ns.command)
        foreach ($t in $kind.Items) {
            $writer.WriteStartElement('command', $kind.Item, $ns.command)
            $writer.WriteStartElement('dev', 'type', $ns.dev); $writer.WriteElementString('maml', 'name', $ns.maml, $t.Type); $writer.WriteEndElement()
            $writer.WriteStartElement('maml', 'description', $ns.maml); Para $t.Text; $writer.WriteEndElement()
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('maml', 'alertSet', $ns.maml); $writer.WriteStartElement('maml', 'alert', $ns.maml); Para $doc.Notes; $writer.WriteEndElement(); $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'examples', $ns.command)
    foreach ($e in $doc.Examples) {
        $writer.WriteStartElement('command', 'example', $ns.command)
        $writer.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($e.Title) --------------------------")
        $writer.WriteElementString('dev', 'code', $ns.dev, $e.Code)
        $writer.WriteStartElement('dev', 'remarks', $ns.dev); Para $e.Remarks; $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'relatedLinks', $ns.command)
    foreach ($l in $doc.Links) {
        $writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $writer.WriteElementString('maml', 'linkText', $ns.maml, $l.Text)
        $writer.WriteElementString('maml', 'uri', $ns.maml, $l.Uri)
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()
