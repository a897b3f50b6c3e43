// Package apply carries out a plan: resource changes in dependency order with
// bounded parallelism (deletes last), then jobs in dependency order through
// package sched on the executors' dispatchers, recording every completed step
// in the state journal so that a killed run loses nothing. It reports through
// the Observer interface defined here and never prints.
package apply
