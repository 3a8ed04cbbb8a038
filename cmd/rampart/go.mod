module github.com/rampart-go/rampart/cmd/rampart

go 1.26

require github.com/rampart-go/rampart v0.0.0

replace github.com/rampart-go/rampart => ../..
