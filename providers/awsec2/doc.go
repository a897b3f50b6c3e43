// Package awsec2 is the `aws_ec2` executor backend: a fleet of EC2
// instances that lithops creates from the client and runs jobs on over
// SSH. Per executor block it plans a key pair (keypair.go: an ed25519 key
// generated here, the private half kept under the configuration's
// .lithops/aws_ec2/, never in state), a security group open on port 22 to
// ssh_cidrs only (securitygroup.go), and per instance an aws_ec2_instance
// (instance.go: RunInstances with cloud-init user data, userdata.go, that
// installs a host key generated here, so the first connection is already
// verified, and an idle watchdog, watchdog.sh, that powers the instance
// off, and so terminates it, when no worker has run there for
// idle_shutdown) and an aws_ec2_bootstrap (bootstrap.go: the worker
// installed as the vm backend installs it, through package vm's Machine
// API). Open dispatches through the vm backend's fleet too. Instances are
// separate resources, so a fleet that launched partly is recorded partly
// and the next plan adds only what is missing; spot_fallback launches
// on-demand when spot capacity is missing. The EC2 calls go through the
// real SDK client (client.go); tests point it at internal/fakeec2, whose
// instances ec2test boots on internal/testhosts hosts. Plans show an
// hourly estimate from the embedded, dated price table (prices.csv).
// Backend (backend.go) is the entry point.
package awsec2
