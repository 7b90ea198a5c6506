/* hello.c — the bench's floor (tools/bench, never shipped): a libfcgi worker pool that
 * answers every request with a fixed JSON body and does nothing else, behind the same
 * nginx as gigd, so gigd's figures can be read as a fraction of what the front allows. */
#include <fcgiapp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    FCGX_Init();
    int fd = FCGX_OpenSocket(argv[1], 64);
    if (fd < 0)
        return 1;
    chmod(argv[1], 0666); /* nginx's workers run as another user, as for gigd */
    for (int i = atoi(argv[2]); i > 0; i--)
        if (fork() == 0) {
            FCGX_Request r;
            FCGX_InitRequest(&r, fd, 0);
            while (FCGX_Accept_r(&r) >= 0) {
                FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
                                    "{\"success\":true,\"data\":{\"hello\":\"world\"}}");
                FCGX_Finish_r(&r);
            }
            _exit(0);
        }
    while (wait(NULL) > 0)
        ;
    return 0;
}
