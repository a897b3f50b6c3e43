package providers

import "sort"

// Registry is the set of backends this binary offers. main builds it; the
// engine and the config loader take it as a value.
type Registry struct {
	Executors map[string]ExecutorBackend
	Storages  map[string]StorageBackend
	// Resources are the resource types by name, for managing recorded
	// resources whose block left the configuration (to delete them). Each
	// must work from its recorded attributes and the ambient credentials.
	Resources map[string]Resource
	// PlannedExecutors and PlannedStorages name backends the product will
	// offer but this build does not: naming one is a diagnostic that says so.
	PlannedExecutors []string
	PlannedStorages  []string
}

// ExecutorNames lists the available executor backends, sorted.
func (r *Registry) ExecutorNames() []string { return sortedKeys(r.Executors) }

// StorageNames lists the available storage backends, sorted.
func (r *Registry) StorageNames() []string { return sortedKeys(r.Storages) }

func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
