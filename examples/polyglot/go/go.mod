module example.com/polyglot/hello

go 1.19
