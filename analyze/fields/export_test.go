package fields

// ExePathForTest exposes exePath to the external tests.
var ExePathForTest = exePath
