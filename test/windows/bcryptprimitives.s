# A stand-in bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Go 1.22+ programs such as
# esbuild's win32 binary load ProcessPrng from it at start-up ("fatal error: bcryptprimitives.dll not
# found"). ProcessPrng(buffer, length) fills the buffer with random bytes and always returns TRUE;
# here it calls advapi32's RtlGenRandom (SystemFunction036), which Wine has. Built by
# test/windows/wine.mjs with binutils-mingw-w64-x86-64 (as, dlltool, ld) into the Wine prefix only.
    .text
    .globl DllMain
DllMain:
    movl $1, %eax
    ret
    .globl ProcessPrng
ProcessPrng:
    subq $40, %rsp
    call *__imp_SystemFunction036(%rip)
    movl $1, %eax
    addq $40, %rsp
    ret
