// Command bench measures lithops side by side with the tools a user would
// otherwise pick: xargs -P and GNU parallel for running many small commands
// on this machine, Terraform for planning and applying many resources. It
// builds lithops from this repository into a temporary directory, runs every
// benchmark several times alternating the tools (lithops, peer, lithops, peer
// …) on fresh directories, and prints a markdown report: the machine, the
// date, the exact commands, medians with min and max, and the ratios against
// the targets of docs/BENCHMARKS.md. Its neighbours are the lithops binary
// (only through its command line and its -json events) and the scenario
// files under bench/scenarios. Entry point: main, run as
//
//	go run ./bench [-smoke] [-runs N] [-only REGEX] [-out FILE]
//
// -smoke runs tiny sizes once each with the peers already installed, for CI;
// the program exits non-zero when a benchmarked command fails or does not do
// its work, never because a figure is slow.
package main
