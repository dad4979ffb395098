// Tests use the process helpers through the support module.
@_exported import FabricProcess
