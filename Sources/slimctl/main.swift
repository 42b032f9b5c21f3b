import SlimCLI

await SlimctlMain.run()
