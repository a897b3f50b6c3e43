// Package faults is a fault-injecting HTTP proxy for tests: put it between an
// SDK client and a test server (gofakes3, fake-gcs-server, Azurite), tell it
// to fail the first N requests that match a rule with a status (503 SlowDown,
// 429, 500) or a connection reset, before or in the middle of the response
// body, and check that the client's retries carry the operation through — or
// that, when the faults persist, it fails with a clear error. Entry point:
// New, then Proxy.Add.
package faults
