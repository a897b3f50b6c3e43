// Package providers is the contract between the engine (plan, apply) and the
// backends. A backend (one package under providers/, e.g. providers/localhost)
// owns the schema of its executor or storage block body, says which resources
// that block needs, and opens what jobs run on (a sched.Dispatcher) or store
// data in (an objstore.Store). A resource type reads, creates, updates and
// deletes one kind of thing that costs money or takes time to create.
//
// Required behaviour is small (Resource, ExecutorBackend, StorageBackend);
// optional capabilities are separate interfaces found by type assertion
// (Updater, Estimator). Every call takes ctx first and a request struct and
// returns a response struct, so adding a field breaks nobody. SDK types never
// cross this boundary. The registry of backends is a value (Registry) that
// main builds and passes down: there is no init() registration.
package providers
