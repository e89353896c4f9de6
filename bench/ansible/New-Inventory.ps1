<#
.SYNOPSIS
    Writes an Ansible INI inventory for DevOpsTools servers (group "servers").
.EXAMPLE
    Get-Server -Environment bench | ./bench/ansible/New-Inventory.ps1 -Path ./out/bench/inventory.ini
#>
param(
    [Parameter(Mandatory, ValueFromPipeline)] $Server,
    [Parameter(Mandatory)] [string] $Path
)
begin { $lines = [System.Collections.Generic.List[string]]::new(); $lines.Add('[servers]') }
process {
    foreach ($s in $Server) {
        $lines.Add(('{0} ansible_host={1} ansible_port={2} ansible_user={3} ansible_ssh_private_key_file={4}' -f $s.Name, $s.Address, $s.SshPort, $s.User, $s.IdentityFile))
    }
}
end { Set-Content -Path $Path -Value $lines }
