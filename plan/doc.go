// Package plan works out what apply would do. Planner builds the desired
// set from the configuration (package hcl) and the backends (package
// providers), refreshes what the state (package state) records through the
// providers, diffs the two into resource changes, and expands every job into
// tasks whose input digests decide which can reuse a recorded output. The
// result, a Plan, is what plan renders and apply carries out; a Plan saved
// with -out is a File. Rendering lives in package views: nothing here prints.
package plan
