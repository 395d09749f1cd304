/** tshaproxy's own version and the HAProxy version whose behaviour it emulates. */
export const TSHAPROXY_VERSION = '0.1.0';
export const HAPROXY_VERSION = '2.6.12-1+deb12u4';
export const HAPROXY_BRANCH = '2.6';
