package portico

// JSONDepth exposes jsonDepth to the tests.
var JSONDepth = jsonDepth
