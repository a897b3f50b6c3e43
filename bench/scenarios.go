package main

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// scenarios holds the configurations the benchmarks run: the lithops
// configurations of the task benchmarks as they are, and templates of the
// resource benchmarks' configurations.
//
//go:embed scenarios
var scenarios embed.FS

// scenario returns a scenario file's text.
func scenario(name string) (string, error) {
	b, err := scenarios.ReadFile("scenarios/" + name)
	if err != nil {
		return "", fmt.Errorf("scenario %q: %w", name, err)
	}
	return string(b), nil
}

// renderScenario fills a template with n items numbered from 0.
func renderScenario(name string, n int) (string, error) {
	text, err := scenario(name)
	if err != nil {
		return "", err
	}
	t, err := template.New(name).Parse(text)
	if err != nil {
		return "", fmt.Errorf("scenario %q: %w", name, err)
	}
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	var b strings.Builder
	if err := t.Execute(&b, struct {
		N     int
		Items []int
	}{n, items}); err != nil {
		return "", fmt.Errorf("scenario %q: %w", name, err)
	}
	return b.String(), nil
}

// seq is the output of `seq n`: the numbers 1 to n, one a line.
func seq(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}
