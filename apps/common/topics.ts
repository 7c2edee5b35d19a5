/** Names shared by the sample apps: components and topics, as in the profile YAML. */
export const PUBSUB = 'pubsub';
export const TOPIC_ORDER_CREATED = 'order.created';
export const TOPIC_ORDER_CREATED_DEAD = 'order.created.dead';
export const TOPIC_ORDER_PAID = 'order.paid';
export const TOPIC_ORDER_REJECTED = 'order.rejected';
/** State component names (each scoped to its app in the profiles). */
export const ORDERS_STORE = 'orders';
export const STOCK_STORE = 'stock';
