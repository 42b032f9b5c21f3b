/// Every command that prints: its `--no-color`, `-v` and `-q` reach `Terminal.setUp`. A command
/// missing here would parse those flags and ignore them (`TerminalFlagsTests` parses each one).
extension StrategiesCommand: OutputCommand {}
extension RenderCommand: OutputCommand {}
extension PlanCommand: OutputCommand {}
extension DeployCommand: OutputCommand {}
extension VerifyCommand: OutputCommand {}
extension TestCommand: OutputCommand {}
extension LogsCommand: OutputCommand {}
extension StatusCommand: OutputCommand {}
extension CICommand: OutputCommand {}
extension DeleteCommand: OutputCommand {}
extension DoctorCommand: OutputCommand {}
extension VersionCommand: OutputCommand {}

extension ClusterCommand.Up: TerminalCommand {}
extension ClusterCommand.Down: TerminalCommand {}

extension LocalNodeCommand.List: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Add: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Remove: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Label: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Taint: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Cordon: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension LocalNodeCommand.Uncordon: TerminalCommand { var terminalFlags: TerminalFlags { common.out.terminal } }
extension DiffCommand: OutputCommand {}
