/* h_msg.h — handlers of the messaging issue: conversations and messages, real-time
 * subscription authorization, video calls, push tokens and attachments. */
#ifndef GIGD_H_MSG_H
#define GIGD_H_MSG_H
#include "http.h"

/* h_messaging.c */
void h_conv_open(struct request *r);
void h_conv_list(struct request *r);
void h_conv_messages(struct request *r);
void h_conv_send(struct request *r);
void h_conv_read(struct request *r);
void h_conv_typing(struct request *r);
void h_rt_conversation(struct request *r);
void h_rt_notifications(struct request *r);
void h_calls_create(struct request *r);
void h_calls_upcoming(struct request *r);
void h_calls_history(struct request *r);
void h_calls_end(struct request *r);
void h_push_register(struct request *r);
void h_push_delete(struct request *r);
void h_attachments_upload(struct request *r);
void h_attachments_get(struct request *r);

#endif
