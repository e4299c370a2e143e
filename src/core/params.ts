// ESMTP parameters of MAIL FROM and RCPT TO as the session keeps them (parsed by
// smtp/params.ts): a contract shared by the session, policy checks and the spool.

export interface MailParams {
  size?: number;
  body?: '7BIT' | '8BITMIME';
  smtputf8: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** RFC 4954 AUTH= parameter, kept as given (xtext). */
  auth?: string;
}

export interface RcptParams {
  notify?: Array<'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'>;
  /** ORCPT as "addr-type;xtext", kept verbatim. */
  orcpt?: string;
}
