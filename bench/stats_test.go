package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		want   Summary
	}{
		{"none", nil, Summary{}},
		{"one", []float64{3}, Summary{Median: 3, Min: 3, Max: 3, N: 1}},
		{"odd count takes the middle", []float64{5, 1, 3}, Summary{Median: 3, Min: 1, Max: 5, N: 3}},
		{"even count averages the middle two", []float64{4, 1, 2, 10}, Summary{Median: 3, Min: 1, Max: 10, N: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.values)); diff != "" {
				t.Errorf("wrong summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarizeLeavesInputOrder(t *testing.T) {
	v := []float64{3, 1, 2}
	summarize(v)
	if diff := cmp.Diff([]float64{3, 1, 2}, v); diff != "" {
		t.Errorf("wrong input after summarize (-want +got):\n%s", diff)
	}
}
