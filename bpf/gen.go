package bpf

//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target bpfel -type event_hdr -type exec_body -type fork_body -type exit_body -type file_body -type net_body -type sec_body -type field_hdr -type env_filter -type cpu_counters -type event_kind -type syscall_class -type field_id -type field_flag -type exe_flag -type hdr_flag rewind rewind.bpf.c -- -I./include -I./include/x86_64
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target bpfel floor floor.bpf.c -- -I./include -I./include/x86_64
