{
  "type": "warrant.signature/v1",
  "sha256": "15360150b8ad2078ca9c60e2b86bd159887fdc1cc0264394ff1d0a0a689e733b",
  "signatures": [
    {
      "signer": "ops",
      "sig": "zFk7WL65pWZXNrHe8q69OjTQRys0M3FH3NHD+oeUQ25HhCLVOdarjC6GdA0Ir5jDfUAY2l0f5Ht09Y2EzeQNCA=="
    }
  ]
}
